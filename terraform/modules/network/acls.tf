################################################################################
# Network ACLs, one per tier. NACLs are stateless, so every tier that opens a
# connection also admits the ephemeral return ports; the security groups are
# the stateful, precise layer on top.
################################################################################

resource "aws_network_acl" "public" {
  # checkov:skip=CKV_AWS_229:Inbound 1024-65535 from anywhere is the return traffic of the NAT gateways and of clients (stateless ACL); port 21 is outside it and the security groups admit only 80 and 443.
  # checkov:skip=CKV_AWS_230:Same ephemeral return range; the load balancer's security group admits only 80 and 443, and no instance sits in the public tier.
  # checkov:skip=CKV_AWS_231:Same ephemeral return range covers 3389, but no host in the public tier listens on it: the tier holds only the load balancer and NAT gateways.
  # checkov:skip=CKV_AWS_232:Same ephemeral return range; nothing in the public tier listens on 22 (instances use Session Manager, not SSH).
  vpc_id     = aws_vpc.this.id
  subnet_ids = aws_subnet.public[*].id

  ingress {
    rule_no    = 100
    action     = "allow"
    protocol   = "tcp"
    cidr_block = "0.0.0.0/0"
    from_port  = 443
    to_port    = 443
  }

  ingress {
    rule_no    = 110
    action     = "allow"
    protocol   = "tcp"
    cidr_block = "0.0.0.0/0"
    from_port  = 80
    to_port    = 80
  }

  ingress {
    rule_no    = 120
    action     = "allow"
    protocol   = "tcp"
    cidr_block = "0.0.0.0/0"
    from_port  = 1024
    to_port    = 65535
  }

  egress {
    rule_no    = 100
    action     = "allow"
    protocol   = "tcp"
    cidr_block = "0.0.0.0/0"
    from_port  = 443
    to_port    = 443
  }

  egress {
    rule_no    = 110
    action     = "allow"
    protocol   = "tcp"
    cidr_block = "0.0.0.0/0"
    from_port  = 80
    to_port    = 80
  }

  egress {
    rule_no    = 120
    action     = "allow"
    protocol   = "tcp"
    cidr_block = "0.0.0.0/0"
    from_port  = 1024
    to_port    = 65535
  }

  tags = merge(var.tags, { Name = "${var.name}-public", Tier = "public" })
}

resource "aws_network_acl" "app" {
  # checkov:skip=CKV_AWS_229:Inbound 1024-65535 from anywhere is the return traffic of the instances' outbound HTTPS through NAT and the S3 gateway (stateless ACL); the app security group admits only 443 from the load balancer.
  # checkov:skip=CKV_AWS_230:Same ephemeral return range; the app security group admits only 443 from the load balancer.
  # checkov:skip=CKV_AWS_231:Same ephemeral return range covers 3389; the app security group admits only 443 from the load balancer and the tier has no public route in.
  # checkov:skip=CKV_AWS_232:Same ephemeral return range; no SSH daemon is reachable (Session Manager instead) and the security group admits only 443.
  vpc_id     = aws_vpc.this.id
  subnet_ids = aws_subnet.app[*].id

  ingress {
    rule_no    = 100
    action     = "allow"
    protocol   = "tcp"
    cidr_block = var.vpc_cidr
    from_port  = 443
    to_port    = 443
  }

  ingress {
    rule_no    = 110
    action     = "allow"
    protocol   = "tcp"
    cidr_block = "0.0.0.0/0"
    from_port  = 1024
    to_port    = 65535
  }

  egress {
    rule_no    = 100
    action     = "allow"
    protocol   = "tcp"
    cidr_block = "0.0.0.0/0"
    from_port  = 443
    to_port    = 443
  }

  # The Debian archive is served over plain HTTP (packages are signed).
  egress {
    rule_no    = 110
    action     = "allow"
    protocol   = "tcp"
    cidr_block = "0.0.0.0/0"
    from_port  = 80
    to_port    = 80
  }

  egress {
    rule_no    = 120
    action     = "allow"
    protocol   = "tcp"
    cidr_block = var.vpc_cidr
    from_port  = 1024
    to_port    = 65535
  }

  tags = merge(var.tags, { Name = "${var.name}-app", Tier = "app" })
}

# The data tier talks only to the VPC and to S3 through the gateway endpoint.
# S3 answers from public addresses, hence the 0.0.0.0/0 rules; the route table
# has no internet path, so they cannot reach anything else.
resource "aws_network_acl" "data" {
  # checkov:skip=CKV_AWS_229:Inbound 1024-65535 from anywhere is the return traffic from S3 via the gateway endpoint; the data route table has no internet route, so no outside host can send it.
  # checkov:skip=CKV_AWS_230:Same return range; the data route table has no internet route.
  # checkov:skip=CKV_AWS_231:Same return range covers 3389; the data route table has no internet route.
  # checkov:skip=CKV_AWS_232:Same return range; the data route table has no internet route.
  vpc_id     = aws_vpc.this.id
  subnet_ids = aws_subnet.data[*].id

  ingress {
    rule_no    = 100
    action     = "allow"
    protocol   = "tcp"
    cidr_block = var.vpc_cidr
    from_port  = 0
    to_port    = 65535
  }

  ingress {
    rule_no    = 110
    action     = "allow"
    protocol   = "tcp"
    cidr_block = "0.0.0.0/0"
    from_port  = 1024
    to_port    = 65535
  }

  egress {
    rule_no    = 100
    action     = "allow"
    protocol   = "tcp"
    cidr_block = var.vpc_cidr
    from_port  = 0
    to_port    = 65535
  }

  egress {
    rule_no    = 110
    action     = "allow"
    protocol   = "tcp"
    cidr_block = "0.0.0.0/0"
    from_port  = 443
    to_port    = 443
  }

  tags = merge(var.tags, { Name = "${var.name}-data", Tier = "data" })
}
