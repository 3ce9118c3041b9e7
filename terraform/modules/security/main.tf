################################################################################
# Security groups chained by reference: internet -> load balancer -> app ->
# interface endpoints. Nothing else is admitted inbound.
################################################################################

resource "aws_security_group" "alb" {
  # checkov:skip=CKV2_AWS_5:Attached to the load balancer in the edge module through this module's output; the graph check does not follow module outputs.
  name        = "${var.name}-alb"
  description = "Load balancer: HTTPS from the internet, HTTP only to redirect"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-alb" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_security_group" "app" {
  # checkov:skip=CKV2_AWS_5:Attached to the launch template in the compute module through this module's output; the graph check does not follow module outputs.
  name        = "${var.name}-app"
  description = "App instances: HTTPS from the load balancer only"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-app" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_security_group" "endpoints" {
  # checkov:skip=CKV2_AWS_5:Attached to the interface endpoints in the network module through this module's output; the graph check does not follow module outputs.
  name        = "${var.name}-endpoints"
  description = "Interface endpoints: HTTPS from the app instances only"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-endpoints" })

  lifecycle {
    create_before_destroy = true
  }
}

################################################################################
# Load balancer
################################################################################

resource "aws_vpc_security_group_ingress_rule" "alb_https" {
  for_each = toset(var.public_ingress_cidrs)

  security_group_id = aws_security_group.alb.id
  description       = "HTTPS from clients"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = each.key

  tags = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "alb_http" {
  # checkov:skip=CKV_AWS_260:Port 80 is open only for the listener that answers every request with a redirect to HTTPS; nothing is served over HTTP.
  for_each = toset(var.public_ingress_cidrs)

  security_group_id = aws_security_group.alb.id
  description       = "HTTP from clients, answered only with a redirect to HTTPS"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = each.key

  tags = var.tags
}

resource "aws_vpc_security_group_egress_rule" "alb_to_app" {
  security_group_id            = aws_security_group.alb.id
  description                  = "HTTPS to the app instances (requests and health checks)"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.app.id

  tags = var.tags
}

################################################################################
# App instances
################################################################################

resource "aws_vpc_security_group_ingress_rule" "app_from_alb" {
  security_group_id            = aws_security_group.app.id
  description                  = "HTTPS from the load balancer to nginx"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.alb.id

  tags = var.tags
}

resource "aws_vpc_security_group_egress_rule" "app_https" {
  security_group_id = aws_security_group.app.id
  description       = "HTTPS out: S3 gateway endpoint, interface endpoints, and package sources through NAT"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"

  tags = var.tags
}

resource "aws_vpc_security_group_egress_rule" "app_http" {
  security_group_id = aws_security_group.app.id
  description       = "HTTP out through NAT for the Debian archive (signed packages)"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = "0.0.0.0/0"

  tags = var.tags
}

################################################################################
# Interface endpoints
################################################################################

resource "aws_vpc_security_group_ingress_rule" "endpoints_from_app" {
  security_group_id            = aws_security_group.endpoints.id
  description                  = "HTTPS from the app instances to SSM, KMS and CloudWatch Logs endpoints"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.app.id

  tags = var.tags
}
