import shutil
from pathlib import Path

import pytest
from checks import CHECKS
from plan import ENVIRONMENTS, TERRAFORM_ROOT, Plan, load_plan


@pytest.fixture(scope="module", params=ENVIRONMENTS)
def environment(request: pytest.FixtureRequest) -> Plan:
    return load_plan(TERRAFORM_ROOT, request.param)


@pytest.mark.parametrize("check", sorted(CHECKS))
def test_environment_has_property(environment: Plan, check: str) -> None:
    CHECKS[check](environment)


# One broken copy per row: (check that must catch it, file, text, replacement).
MUTATIONS = [
    (
        "tiers_span_zones",
        "modules/network/main.tf",
        "cidr_block              = module.addresses.data_subnets[count.index]",
        "cidr_block              = module.addresses.app_subnets[count.index]",
    ),
    (
        "tiers_span_zones",
        "modules/network/main.tf",
        "availability_zone       = var.availability_zones[count.index]\n"
        "  map_public_ip_on_launch = false\n\n"
        '  tags = merge(var.tags, { Name = "${var.name}-app-',
        "availability_zone       = var.availability_zones[0]\n"
        "  map_public_ip_on_launch = false\n\n"
        '  tags = merge(var.tags, { Name = "${var.name}-app-',
    ),
    (
        "no_public_ips_off_public_tier",
        "modules/network/main.tf",
        "cidr_block              = module.addresses.app_subnets[count.index]\n"
        "  availability_zone       = var.availability_zones[count.index]\n"
        "  map_public_ip_on_launch = false",
        "cidr_block              = module.addresses.app_subnets[count.index]\n"
        "  availability_zone       = var.availability_zones[count.index]\n"
        "  map_public_ip_on_launch = true",
    ),
    (
        "no_public_ips_off_public_tier",
        "modules/compute/main.tf",
        "associate_public_ip_address = false",
        "associate_public_ip_address = true",
    ),
    (
        "data_tier_isolated",
        "modules/network/main.tf",
        "route_table_id         = aws_route_table.app[count.index].id",
        "route_table_id         = aws_route_table.data.id",
    ),
    (
        "data_tier_isolated",
        "modules/network/main.tf",
        "subnet_id      = aws_subnet.data[count.index].id\n"
        "  route_table_id = aws_route_table.data.id",
        "subnet_id      = aws_subnet.data[count.index].id\n"
        "  route_table_id = aws_route_table.public.id",
    ),
    (
        "only_public_tier_routes_to_internet_gateway",
        "modules/network/main.tf",
        "nat_gateway_id         = aws_nat_gateway.this[",
        "gateway_id             = aws_internet_gateway.this.id\n  # [",
    ),
    (
        "only_public_tier_routes_to_internet_gateway",
        "modules/network/main.tf",
        "subnet_id     = aws_subnet.public[count.index].id",
        "subnet_id     = aws_subnet.app[count.index].id",
    ),
    (
        "s3_gateway_endpoint_on_private_tables",
        "modules/network/endpoints.tf",
        "concat(aws_route_table.app[*].id, [aws_route_table.data.id])",
        "aws_route_table.app[*].id",
    ),
    (
        "endpoint_policy_names_only_project_buckets",
        "modules/network/endpoints.tf",
        'Resource = flatten([for arn in var.bucket_arns : [arn, "${arn}/*"]])',
        'Resource = "*"',
    ),
    (
        "endpoint_policy_names_only_project_buckets",
        "envs/production/main.tf",
        "bucket_arns                = [module.naming.bucket_arns.uploads, ",
        "bucket_arns                = [module.naming.bucket_arns.logs, ",
    ),
    (
        "interface_endpoints_for_instance_services",
        "modules/network/variables.tf",
        '"ec2messages", "kms", "logs"]',
        '"ec2messages", "logs"]',
    ),
    (
        "interface_endpoints_for_instance_services",
        "modules/network/endpoints.tf",
        "private_dns_enabled = true",
        "private_dns_enabled = false",
    ),
    (
        "bucket_policies_deny_insecure_transport",
        "modules/storage/main.tf",
        'Condition = { Bool = { "aws:SecureTransport" = "false" } }',
        'Condition = { Bool = { "aws:SecureTransport" = "true" } }',
    ),
    (
        "bucket_policies_deny_insecure_transport",
        "modules/storage/logs.tf",
        'local.deny_insecure_transport["logs"],\n',
        "",
    ),
    (
        "bucket_policies_require_gateway_endpoint",
        "modules/storage/main.tf",
        'StringNotEquals = { "aws:SourceVpce" = var.s3_endpoint_id }',
        'StringNotEquals = { "aws:SourceVpc" = var.s3_endpoint_id }',
    ),
    (
        "bucket_policies_require_gateway_endpoint",
        "modules/storage/main.tf",
        'ArnNotEquals    = { "aws:PrincipalArn" = [var.break_glass_role_arn] }',
        'ArnNotEquals    = { "aws:PrincipalArn" = [] }',
    ),
    (
        "bucket_policies_require_gateway_endpoint",
        "modules/storage/releases.tf",
        "Action    = local.data_actions\n        Resource  = [local.arns.releases, ",
        'Action    = ["s3:GetObject"]\n        Resource  = [local.arns.releases, ',
    ),
    (
        "uploads_bucket_encrypted_and_private",
        "modules/storage/main.tf",
        "    bucket_key_enabled = true",
        "    bucket_key_enabled = false",
    ),
    (
        "uploads_bucket_encrypted_and_private",
        "modules/storage/main.tf",
        'object_ownership = "BucketOwnerEnforced"',
        'object_ownership = "ObjectWriter"',
    ),
    (
        "uploads_bucket_encrypted_and_private",
        "modules/storage/releases.tf",
        "restrict_public_buckets = true",
        "restrict_public_buckets = false",
    ),
    (
        "kms_key_rotates",
        "modules/kms/main.tf",
        "enable_key_rotation     = true",
        "enable_key_rotation     = false",
    ),
    (
        "kms_key_grants",
        "modules/kms/main.tf",
        "Principal = { AWS = var.instance_role_arn }",
        "Principal = { AWS = local.account_root }",
    ),
    (
        "kms_key_grants",
        "modules/kms/main.tf",
        'Principal = { Service = "logs.${var.region}.amazonaws.com" }',
        'Principal = { Service = "logs.amazonaws.com" }',
    ),
    (
        "kms_key_grants",
        "modules/kms/main.tf",
        'Action    = "kms:CreateGrant"',
        'Action    = "kms:ListGrants"',
    ),
    (
        "kms_key_grants",
        "modules/kms/main.tf",
        "autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
        "autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling_custom",
    ),
    (
        "instances_require_imdsv2",
        "modules/compute/main.tf",
        'http_tokens                 = "required"',
        'http_tokens                 = "optional"',
    ),
    (
        "instances_require_imdsv2",
        "modules/compute/main.tf",
        "http_put_response_hop_limit = 1",
        "http_put_response_hop_limit = 2",
    ),
    (
        "instance_disks_encrypted_with_key",
        "modules/compute/main.tf",
        "encrypted             = true",
        "encrypted             = false",
    ),
    (
        "instance_disks_encrypted_with_key",
        "modules/compute/main.tf",
        "      kms_key_id            = var.kms_key_arn\n",
        "",
    ),
    (
        "https_listener_uses_tls13_policy",
        "modules/edge/main.tf",
        "ssl_policy        = var.ssl_policy",
        'ssl_policy        = "ELBSecurityPolicy-2016-08"',
    ),
    (
        "https_listener_uses_tls13_policy",
        "modules/edge/main.tf",
        "certificate_arn   = var.certificate_arn",
        'certificate_arn   = "arn:aws:acm:eu-west-1:111122223333:certificate/x"',
    ),
    (
        "http_listener_redirects_to_https",
        "modules/edge/main.tf",
        'type = "redirect"',
        'type = "fixed-response"',
    ),
    (
        "http_listener_redirects_to_https",
        "modules/edge/main.tf",
        'protocol    = "HTTPS"',
        'protocol    = "HTTP"',
    ),
    (
        "target_group_checks_healthz_over_https",
        "modules/edge/main.tf",
        'path                = "/healthz"',
        'path                = "/"',
    ),
    (
        "target_group_checks_healthz_over_https",
        "modules/edge/main.tf",
        'protocol            = "HTTPS"',
        'protocol            = "HTTP"',
    ),
    (
        "load_balancer_hardened",
        "modules/edge/main.tf",
        "drop_invalid_header_fields = true",
        "drop_invalid_header_fields = false",
    ),
    (
        "load_balancer_hardened",
        "modules/edge/variables.tf",
        "  type        = bool\n  default     = true",
        "  type        = bool\n  default     = false",
    ),
    (
        "autoscaling_group_uses_elb_health",
        "modules/compute/main.tf",
        'health_check_type         = "ELB"',
        'health_check_type         = "EC2"',
    ),
    (
        "autoscaling_group_uses_elb_health",
        "envs/production/terraform.tfvars.example",
        "min_size        = 2",
        "min_size        = 1",
    ),
    (
        "autoscaling_group_uses_elb_health",
        "envs/production/main.tf",
        "app_subnet_ids        = module.network.app_subnet_ids",
        "app_subnet_ids        = module.network.public_subnet_ids",
    ),
    (
        "security_groups_chained",
        "modules/security/main.tf",
        'description                  = "HTTPS from the load balancer to nginx"\n'
        '  ip_protocol                  = "tcp"\n'
        "  from_port                    = 443",
        'description                  = "HTTPS from the load balancer to nginx"\n'
        '  ip_protocol                  = "tcp"\n'
        "  from_port                    = 22",
    ),
    (
        "security_groups_chained",
        "modules/security/main.tf",
        "referenced_security_group_id = aws_security_group.alb.id",
        'cidr_ipv4                    = "0.0.0.0/0"',
    ),
    (
        "security_groups_chained",
        "modules/security/main.tf",
        '  description       = "HTTP out through NAT for the Debian archive '
        '(signed packages)"\n',
        "",
    ),
    (
        "flow_logs_encrypted_with_key",
        "modules/network/flow_logs.tf",
        "  kms_key_id        = var.kms_key_arn\n",
        "",
    ),
    (
        "flow_logs_encrypted_with_key",
        "modules/network/flow_logs.tf",
        'traffic_type         = "ALL"',
        'traffic_type         = "REJECT"',
    ),
    (
        "instance_role_least_privilege",
        "modules/compute/iam.tf",
        "Resource = [for prefix in var.object_prefixes : "
        '"${local.uploads_bucket_arn}/${prefix}*"]',
        'Resource = "${local.uploads_bucket_arn}/*"',
    ),
    (
        "instance_role_least_privilege",
        "modules/compute/iam.tf",
        'Resource = [local.parameter_arn_base, "${local.parameter_arn_base}/*"]',
        'Resource = "*"',
    ),
    (
        "instance_role_least_privilege",
        "modules/compute/iam.tf",
        'Action   = ["kms:GenerateDataKey", "kms:Decrypt"]',
        'Action   = ["kms:*"]',
    ),
]


def mutation_id(mutation: tuple[str, str, str, str]) -> str:
    check, path, _, replacement = mutation
    return f"{check}:{path}:{replacement.strip()[:40]}"


@pytest.fixture(params=MUTATIONS, ids=[mutation_id(m) for m in MUTATIONS])
def broken_environment(
    request: pytest.FixtureRequest, tmp_path: Path
) -> tuple[str, Plan]:
    check, path, text, replacement = request.param
    copy = tmp_path / "terraform"
    shutil.copytree(TERRAFORM_ROOT, copy, ignore=shutil.ignore_patterns(".terraform"))
    target = copy / path
    source = target.read_text(encoding="utf-8")
    assert source.count(text) == 1, f"{path}: the text to break must occur once"
    target.write_text(source.replace(text, replacement), encoding="utf-8")
    return check, load_plan(copy, "production")


def test_check_fails_on_broken_copy(broken_environment: tuple[str, Plan]) -> None:
    check, plan = broken_environment
    with pytest.raises(AssertionError):
        CHECKS[check](plan)


def test_every_check_has_a_breaking_mutation() -> None:
    assert {check for check, *_ in MUTATIONS} == set(CHECKS)
