module "addresses" {
  source = "../address_plan"

  vpc_cidr   = var.vpc_cidr
  zone_count = length(var.availability_zones)
}

locals {
  zone_count        = length(var.availability_zones)
  nat_gateway_count = var.enable_single_nat_gateway ? 1 : local.zone_count
}

################################################################################
# VPC
################################################################################

resource "aws_vpc" "this" {
  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = merge(var.tags, { Name = var.name })
}

# Nothing uses the default security group; emptying it means a resource
# launched without an explicit group gets no traffic at all.
resource "aws_default_security_group" "this" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-default-unused" })
}

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = var.name })
}

################################################################################
# Subnets
################################################################################

resource "aws_subnet" "public" {
  count = local.zone_count

  vpc_id                  = aws_vpc.this.id
  cidr_block              = module.addresses.public_subnets[count.index]
  availability_zone       = var.availability_zones[count.index]
  map_public_ip_on_launch = false

  tags = merge(var.tags, { Name = "${var.name}-public-${var.availability_zones[count.index]}", Tier = "public" })
}

resource "aws_subnet" "app" {
  count = local.zone_count

  vpc_id                  = aws_vpc.this.id
  cidr_block              = module.addresses.app_subnets[count.index]
  availability_zone       = var.availability_zones[count.index]
  map_public_ip_on_launch = false

  tags = merge(var.tags, { Name = "${var.name}-app-${var.availability_zones[count.index]}", Tier = "app" })
}

resource "aws_subnet" "data" {
  count = local.zone_count

  vpc_id                  = aws_vpc.this.id
  cidr_block              = module.addresses.data_subnets[count.index]
  availability_zone       = var.availability_zones[count.index]
  map_public_ip_on_launch = false

  tags = merge(var.tags, { Name = "${var.name}-data-${var.availability_zones[count.index]}", Tier = "data" })
}

################################################################################
# NAT gateways (app egress only)
################################################################################

resource "aws_eip" "nat" {
  count = local.nat_gateway_count

  domain = "vpc"

  tags = merge(var.tags, { Name = "${var.name}-nat-${var.availability_zones[count.index]}" })
}

resource "aws_nat_gateway" "this" {
  count = local.nat_gateway_count

  allocation_id = aws_eip.nat[count.index].id
  subnet_id     = aws_subnet.public[count.index].id

  tags = merge(var.tags, { Name = "${var.name}-${var.availability_zones[count.index]}" })

  depends_on = [aws_internet_gateway.this]
}

################################################################################
# Route tables: one per tier, one per zone for app so each zone keeps its NAT
################################################################################

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-public", Tier = "public" })
}

resource "aws_route" "public_internet" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this.id
}

resource "aws_route_table_association" "public" {
  count = local.zone_count

  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public.id
}

resource "aws_route_table" "app" {
  count = local.zone_count

  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-app-${var.availability_zones[count.index]}", Tier = "app" })
}

resource "aws_route" "app_nat" {
  count = local.zone_count

  route_table_id         = aws_route_table.app[count.index].id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.this[var.enable_single_nat_gateway ? 0 : count.index].id
}

resource "aws_route_table_association" "app" {
  count = local.zone_count

  subnet_id      = aws_subnet.app[count.index].id
  route_table_id = aws_route_table.app[count.index].id
}

# The data tier's table has only the implicit local route and the S3 gateway
# endpoint: no internet gateway, no NAT, so nothing in it reaches the internet.
resource "aws_route_table" "data" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-data", Tier = "data" })
}

resource "aws_route_table_association" "data" {
  count = local.zone_count

  subnet_id      = aws_subnet.data[count.index].id
  route_table_id = aws_route_table.data.id
}
