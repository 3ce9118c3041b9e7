"""Structural properties every environment must have, as plain assertions.

Each check takes a parsed environment and raises AssertionError when the
property does not hold; test_structure.py runs them on the real tree and on
broken copies, so every check is shown to catch the fault it names.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from plan import Block, Plan, address, as_list, blocks, policy, statements

TLS_POLICIES = {
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
}
INTERFACE_SERVICES = {"ssm", "ssmmessages", "ec2messages", "kms", "logs"}
AUTOSCALING_ROLE = (
    "role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
)


def bucket_arn(plan: Plan, role: str) -> str:
    """Return the ARN the naming module gives a project bucket."""
    environment = plan.name
    return f"arn:aws:s3:::csvdrop-{environment}-{role}-{plan.variables['account_id']}"


def tiers_span_zones(plan: Plan) -> None:
    """Assert three tiers of one subnet per zone, inside the VPC, never overlapping."""
    zones = plan.variables["availability_zones"]
    assert len(zones) >= 2
    vpc = ipaddress.ip_network(plan.one("aws_vpc", "this")["cidr_block"])
    networks = []
    for tier in ("public", "app", "data"):
        subnets = plan.named("aws_subnet", tier)
        assert sorted(s["availability_zone"] for s in subnets) == sorted(zones), tier
        for subnet in subnets:
            network = ipaddress.ip_network(subnet["cidr_block"])
            assert network.subnet_of(vpc), f"{address(subnet)} is outside the VPC"
            networks.append(network)
    for index, network in enumerate(networks):
        for other in networks[index + 1 :]:
            assert not network.overlaps(other), f"{network} overlaps {other}"


def no_public_ips_off_public_tier(plan: Plan) -> None:
    """Assert that app and data subnets and the instances get no public address."""
    for tier in ("app", "data"):
        for subnet in plan.named("aws_subnet", tier):
            assert subnet["map_public_ip_on_launch"] is False, address(subnet)
    template = plan.one("aws_launch_template", "this")
    for interface in blocks(template.get("network_interfaces")):
        assert interface["associate_public_ip_address"] is False
    assert blocks(template.get("network_interfaces")), "no network interface block"


def data_tier_isolated(plan: Plan) -> None:
    """Assert that the data subnets' route table has no route out of the VPC."""
    data_table = plan.one("aws_route_table", "data")
    assert not blocks(data_table.get("route")), "inline route on the data table"
    for route in plan.all("aws_route"):
        assert route["route_table_id"] != data_table["id"], address(route)
    data_subnets = {s["id"] for s in plan.named("aws_subnet", "data")}
    associations = plan.all("aws_route_table_association")
    for association in associations:
        if association["subnet_id"] in data_subnets:
            assert association["route_table_id"] == data_table["id"]
    associated = {a["subnet_id"] for a in associations}
    assert data_subnets <= associated, "a data subnet falls back to the main table"


def only_public_tier_routes_to_internet_gateway(plan: Plan) -> None:
    """Assert that only the public table routes to the internet gateway."""
    gateway = plan.one("aws_internet_gateway", "this")["id"]
    public_table = plan.one("aws_route_table", "public")["id"]
    for route in plan.all("aws_route"):
        if route.get("gateway_id") == gateway:
            assert route["route_table_id"] == public_table, address(route)
    nat_ids = {n["id"] for n in plan.all("aws_nat_gateway")}
    app_tables = {t["id"] for t in plan.named("aws_route_table", "app")}
    app_routes = [r for r in plan.all("aws_route") if r["route_table_id"] in app_tables]
    assert {r["route_table_id"] for r in app_routes} == app_tables
    for route in app_routes:
        assert route["destination_cidr_block"] == "0.0.0.0/0"
        assert route.get("nat_gateway_id") in nat_ids, address(route)
        assert not route.get("gateway_id"), address(route)
    nat_subnets = {n["subnet_id"] for n in plan.all("aws_nat_gateway")}
    assert nat_subnets <= {s["id"] for s in plan.named("aws_subnet", "public")}


def s3_gateway_endpoint_on_private_tables(plan: Plan) -> None:
    """Assert that every app and data route table reaches S3 through the endpoint."""
    endpoint = plan.one("aws_vpc_endpoint", "s3")
    assert endpoint["vpc_endpoint_type"] == "Gateway"
    assert endpoint["service_name"].endswith(".s3")
    private_tables = {t["id"] for t in plan.named("aws_route_table", "app")}
    private_tables.add(plan.one("aws_route_table", "data")["id"])
    assert set(endpoint["route_table_ids"]) == private_tables


def endpoint_policy_names_only_project_buckets(plan: Plan) -> None:
    """Assert that the gateway endpoint policy allows only the project's buckets."""
    endpoint = plan.one("aws_vpc_endpoint", "s3")
    allowed = {bucket_arn(plan, role) for role in ("uploads", "releases")}
    found = set()
    for statement in statements(policy(endpoint)):
        assert statement["Effect"] == "Allow"
        assert "s3:*" not in as_list(statement["Action"])
        for resource in as_list(statement["Resource"]):
            bucket = resource.removesuffix("/*")
            assert bucket in allowed, f"endpoint policy names {resource}"
            found.add(bucket)
    assert found == allowed


def interface_endpoints_for_instance_services(plan: Plan) -> None:
    """Assert that SSM, KMS and logs are reached through private interface endpoints."""
    endpoints = plan.named("aws_vpc_endpoint", "interface")
    services = {e["service_name"].rsplit(".", 1)[-1] for e in endpoints}
    assert services >= INTERFACE_SERVICES
    app_subnets = {s["id"] for s in plan.named("aws_subnet", "app")}
    for endpoint in endpoints:
        assert endpoint["vpc_endpoint_type"] == "Interface"
        assert endpoint["private_dns_enabled"] is True
        assert set(endpoint["subnet_ids"]) == app_subnets


def _bucket_policy(plan: Plan, role: str) -> list[Block]:
    return statements(policy(plan.one("aws_s3_bucket_policy", role)))


def bucket_policies_deny_insecure_transport(plan: Plan) -> None:
    """Assert that every bucket refuses any request that is not TLS."""
    for role in ("uploads", "releases", "logs"):
        arn = bucket_arn(plan, role)
        denials = [
            s
            for s in _bucket_policy(plan, role)
            if s["Effect"] == "Deny"
            and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport")
            == "false"
        ]
        assert denials, f"{role} bucket accepts plain HTTP"
        statement = denials[0]
        assert statement["Principal"] == "*"
        assert as_list(statement["Action"]) == ["s3:*"]
        assert set(as_list(statement["Resource"])) == {arn, f"{arn}/*"}


def bucket_policies_require_gateway_endpoint(plan: Plan) -> None:
    """Assert that object requests outside the endpoint are denied but break-glass."""
    endpoint_id = plan.one("aws_vpc_endpoint", "s3")["id"]
    break_glass = plan.variables["break_glass_role_arn"]
    for role in ("uploads", "releases"):
        arn = bucket_arn(plan, role)
        matching = [
            s
            for s in _bucket_policy(plan, role)
            if s["Effect"] == "Deny"
            and s.get("Condition", {}).get("StringNotEquals", {}).get("aws:SourceVpce")
            == endpoint_id
        ]
        assert matching, f"{role} bucket accepts requests from outside the endpoint"
        statement = matching[0]
        assert statement["Principal"] == "*"
        assert {"s3:GetObject", "s3:PutObject", "s3:DeleteObject"} <= set(
            as_list(statement["Action"])
        )
        assert set(as_list(statement["Resource"])) == {arn, f"{arn}/*"}
        exempt = as_list(statement["Condition"]["ArnNotEquals"]["aws:PrincipalArn"])
        assert break_glass in exempt, f"{role} bucket has no break-glass role"
        assert "*" not in "".join(exempt)


def uploads_bucket_encrypted_and_private(plan: Plan) -> None:
    """Assert SSE-KMS with the key and a bucket key, versioning and no public access."""
    key = plan.one("aws_kms_key", "this")["id"]
    for role in ("uploads", "releases"):
        encryption = plan.one(
            "aws_s3_bucket_server_side_encryption_configuration", role
        )
        rule = blocks(encryption["rule"])[0]
        default = blocks(rule["apply_server_side_encryption_by_default"])[0]
        assert default["sse_algorithm"] == "aws:kms", role
        assert default["kms_master_key_id"] == key, role
        assert rule["bucket_key_enabled"] is True, role
    for role in ("uploads", "releases", "logs"):
        versioning = plan.one("aws_s3_bucket_versioning", role)
        assert blocks(versioning["versioning_configuration"])[0]["status"] == "Enabled"
        access = plan.one("aws_s3_bucket_public_access_block", role)
        for setting in (
            "block_public_acls",
            "block_public_policy",
            "ignore_public_acls",
            "restrict_public_buckets",
        ):
            assert access[setting] is True, f"{role}: {setting}"
        ownership = plan.one("aws_s3_bucket_ownership_controls", role)
        assert blocks(ownership["rule"])[0]["object_ownership"] == "BucketOwnerEnforced"


def kms_key_rotates(plan: Plan) -> None:
    """Assert that the one customer key rotates and cannot be deleted at once."""
    keys = plan.all("aws_kms_key")
    assert len(keys) == 1
    key = keys[0]
    assert key["enable_key_rotation"] is True
    assert 7 <= key["deletion_window_in_days"] <= 30


def kms_key_grants(plan: Plan) -> None:
    """Assert that the instance role, logs and autoscaling may use the key."""
    key = plan.one("aws_kms_key", "this")
    account = plan.variables["account_id"]
    region = plan.variables["region"]
    role = plan.one("aws_iam_role", "app")["id"]
    allowed = [s for s in statements(policy(key)) if s["Effect"] == "Allow"]

    def actions_for(principal_type: str, principal: str) -> set[str]:
        found: set[str] = set()
        for statement in allowed:
            principals = statement["Principal"]
            if principal in as_list(principals.get(principal_type, [])):
                found |= set(as_list(statement["Action"]))
        return found

    assert actions_for("AWS", role) == {"kms:GenerateDataKey", "kms:Decrypt"}
    logs = actions_for("Service", f"logs.{region}.amazonaws.com")
    assert {"kms:Encrypt*", "kms:Decrypt*", "kms:GenerateDataKey*"} <= logs
    autoscaling = f"arn:aws:iam::{account}:{AUTOSCALING_ROLE}"
    disks = actions_for("AWS", autoscaling)
    assert {"kms:Decrypt", "kms:GenerateDataKey*", "kms:CreateGrant"} <= disks
    grant = [s for s in allowed if "kms:CreateGrant" in as_list(s["Action"])]
    assert grant[0]["Condition"]["Bool"]["kms:GrantIsForAWSResource"] is True


def instances_require_imdsv2(plan: Plan) -> None:
    """Assert that instance metadata needs a token and stops one hop from the host."""
    template = plan.one("aws_launch_template", "this")
    options = blocks(template["metadata_options"])[0]
    assert options["http_endpoint"] == "enabled"
    assert options["http_tokens"] == "required"
    assert options["http_put_response_hop_limit"] == 1


def instance_disks_encrypted_with_key(plan: Plan) -> None:
    """Assert that every launch template disk is encrypted with the project key."""
    key = plan.one("aws_kms_key", "this")["id"]
    template = plan.one("aws_launch_template", "this")
    mappings = blocks(template.get("block_device_mappings"))
    assert mappings
    for mapping in mappings:
        ebs = blocks(mapping["ebs"])[0]
        assert ebs["encrypted"] is True, mapping["device_name"]
        assert ebs.get("kms_key_id") == key, mapping["device_name"]


def https_listener_uses_tls13_policy(plan: Plan) -> None:
    """Assert an HTTPS listener with a TLS 1.3 policy and the ACM certificate."""
    listener = plan.one("aws_lb_listener", "https")
    assert listener["port"] == 443
    assert listener["protocol"] == "HTTPS"
    assert listener["ssl_policy"] in TLS_POLICIES
    certificates = {c["id"] for c in plan.all("aws_acm_certificate")}
    certificates |= {c["id"] for c in plan.all("aws_acm_certificate_validation")}
    assert listener["certificate_arn"] in certificates
    action = blocks(listener["default_action"])[0]
    assert action["type"] == "forward"
    assert action["target_group_arn"] == plan.one("aws_lb_target_group", "this")["id"]


def http_listener_redirects_to_https(plan: Plan) -> None:
    """Assert that port 80 serves nothing but a permanent redirect to HTTPS."""
    listener = plan.one("aws_lb_listener", "http")
    assert listener["port"] == 80
    actions = blocks(listener["default_action"])
    assert [a["type"] for a in actions] == ["redirect"]
    redirect = blocks(actions[0]["redirect"])[0]
    assert redirect["protocol"] == "HTTPS"
    assert str(redirect["port"]) == "443"
    assert redirect["status_code"] == "HTTP_301"


def target_group_checks_healthz_over_https(plan: Plan) -> None:
    """Assert HTTPS targets on 443, health-checked on /healthz over HTTPS."""
    group = plan.one("aws_lb_target_group", "this")
    assert group["protocol"] == "HTTPS"
    assert group["port"] == 443
    check = blocks(group["health_check"])[0]
    assert check["protocol"] == "HTTPS"
    assert check["path"] == "/healthz"
    assert check.get("enabled", True) is True


def load_balancer_hardened(plan: Plan) -> None:
    """Assert a public ALB that drops bad headers, resists desync and logs."""
    balancer = plan.one("aws_lb", "this")
    assert balancer["internal"] is False
    assert balancer["drop_invalid_header_fields"] is True
    assert balancer["desync_mitigation_mode"] in {"defensive", "strictest"}
    assert balancer["enable_deletion_protection"] is True
    logs = blocks(balancer["access_logs"])[0]
    assert logs["enabled"] is True
    public = {s["id"] for s in plan.named("aws_subnet", "public")}
    assert set(balancer["subnets"]) == public


def autoscaling_group_uses_elb_health(plan: Plan) -> None:
    """Assert a group over the app subnets, of two or more, trusting ALB health."""
    group = plan.one("aws_autoscaling_group", "this")
    assert group["health_check_type"] == "ELB"
    assert group["min_size"] >= 2
    assert group["max_size"] >= group["min_size"]
    app_subnets = {s["id"] for s in plan.named("aws_subnet", "app")}
    assert set(group["vpc_zone_identifier"]) == app_subnets
    target_group = plan.one("aws_lb_target_group", "this")["id"]
    assert group["target_group_arns"] == [target_group]
    refresh = blocks(group["instance_refresh"])[0]
    assert refresh["strategy"] == "Rolling"
    policies = plan.all("aws_autoscaling_policy")
    assert [p["policy_type"] for p in policies] == ["TargetTrackingScaling"]


def security_groups_chained(plan: Plan) -> None:
    """Assert internet -> ALB -> app -> endpoints, each rule described."""
    alb = plan.one("aws_security_group", "alb")["id"]
    app = plan.one("aws_security_group", "app")["id"]
    endpoints = plan.one("aws_security_group", "endpoints")["id"]
    ingress = plan.all("aws_vpc_security_group_ingress_rule")
    rules = plan.all("aws_security_group_rule") + plan.all("aws_security_group")
    for group in rules:
        assert not blocks(group.get("ingress")), f"inline ingress in {address(group)}"
    for rule in ingress + plan.all("aws_vpc_security_group_egress_rule"):
        assert rule.get("description"), f"{address(rule)} is not described"
    by_group: dict[str, list[Block]] = {alb: [], app: [], endpoints: []}
    for rule in ingress:
        by_group[rule["security_group_id"]].append(rule)
    assert {(r["from_port"], r["to_port"]) for r in by_group[alb]} == {
        (443, 443),
        (80, 80),
    }
    for group, source in ((app, alb), (endpoints, app)):
        assert by_group[group], "group admits nothing"
        for rule in by_group[group]:
            assert (rule["from_port"], rule["to_port"]) == (443, 443)
            assert rule.get("referenced_security_group_id") == source
            assert not rule.get("cidr_ipv4")


def flow_logs_encrypted_with_key(plan: Plan) -> None:
    """Assert that flow logs go to a log group encrypted with the project key."""
    key = plan.one("aws_kms_key", "this")["id"]
    flow_log = plan.one("aws_flow_log", "this")
    assert flow_log["vpc_id"] == plan.one("aws_vpc", "this")["id"]
    assert flow_log["traffic_type"] == "ALL"
    group = plan.one("aws_cloudwatch_log_group", "flow_logs")
    assert flow_log["log_destination"] == group["id"]
    for log_group in plan.all("aws_cloudwatch_log_group"):
        assert log_group.get("kms_key_id") == key, address(log_group)


def instance_role_least_privilege(plan: Plan) -> None:
    """Assert that the instance role reaches only what the service needs."""
    uploads = bucket_arn(plan, "uploads")
    releases = bucket_arn(plan, "releases")
    key = plan.one("aws_kms_key", "this")["id"]
    account = plan.variables["account_id"]
    region = plan.variables["region"]
    parameters = f"arn:aws:ssm:{region}:{account}:parameter/csvdrop/{plan.name}"
    allowed_objects = {uploads, f"{releases}/releases/*"}
    allowed_objects |= {
        f"{uploads}/{p}/*" for p in ("uploads", "records", "idempotency")
    }
    document = policy(plan.one("aws_iam_role_policy", "app"))
    for statement in statements(document):
        actions = as_list(statement["Action"])
        resources = as_list(statement["Resource"])
        assert not any(a.endswith(":*") or a == "*" for a in actions), actions
        for action in actions:
            service = action.split(":")[0]
            if service == "s3":
                assert all(r in allowed_objects for r in resources), resources
            elif service == "kms":
                assert resources == [key]
            elif action.startswith("ssm:GetParameter"):
                assert resources == [parameters, f"{parameters}/*"]
            elif service == "logs":
                assert all(r != "*" for r in resources)
    attachments = plan.all("aws_iam_role_policy_attachment")
    assert not attachments, "managed policies grant more than the role needs"


CHECKS: dict[str, Callable[[Plan], None]] = {
    check.__name__: check
    for check in (
        tiers_span_zones,
        no_public_ips_off_public_tier,
        data_tier_isolated,
        only_public_tier_routes_to_internet_gateway,
        s3_gateway_endpoint_on_private_tables,
        endpoint_policy_names_only_project_buckets,
        interface_endpoints_for_instance_services,
        bucket_policies_deny_insecure_transport,
        bucket_policies_require_gateway_endpoint,
        uploads_bucket_encrypted_and_private,
        kms_key_rotates,
        kms_key_grants,
        instances_require_imdsv2,
        instance_disks_encrypted_with_key,
        https_listener_uses_tls13_policy,
        http_listener_redirects_to_https,
        target_group_checks_healthz_over_https,
        load_balancer_hardened,
        autoscaling_group_uses_elb_health,
        security_groups_chained,
        flow_logs_encrypted_with_key,
        instance_role_least_privilege,
    )
}
