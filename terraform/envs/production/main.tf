locals {
  environment = "production"
}

# The settings pass the same rules that terraform test runs offline, so a bad
# value fails the plan before any module hands it to AWS.
module "inputs" {
  source = "../../modules/inputs"

  region                 = var.region
  account_id             = var.account_id
  availability_zones     = var.availability_zones
  vpc_cidr               = var.vpc_cidr
  service_name           = var.service_name
  zone_id                = var.zone_id
  ami_id                 = var.ami_id
  instance_type          = var.instance_type
  min_size               = var.min_size
  max_size               = var.max_size
  release_version        = var.release_version
  break_glass_role_arn   = var.break_glass_role_arn
  release_publisher_arns = var.release_publisher_arns
  elb_account_id         = var.elb_account_id
}

module "naming" {
  source = "../../modules/naming"

  environment   = local.environment
  bucket_suffix = var.account_id
}

module "kms" {
  source = "../../modules/kms"

  name                                   = module.naming.prefix
  account_id                             = var.account_id
  region                                 = var.region
  instance_role_arn                      = module.compute.instance_role_arn
  create_autoscaling_service_linked_role = var.create_autoscaling_service_linked_role

  tags = module.naming.tags
}

module "network" {
  source = "../../modules/network"

  name                       = module.naming.prefix
  region                     = var.region
  vpc_cidr                   = var.vpc_cidr
  availability_zones         = var.availability_zones
  enable_single_nat_gateway  = var.enable_single_nat_gateway
  kms_key_arn                = module.kms.key_arn
  bucket_arns                = [module.naming.bucket_arns.uploads, module.naming.bucket_arns.releases]
  endpoint_security_group_id = module.security.endpoints_security_group_id

  tags = module.naming.tags
}

module "security" {
  source = "../../modules/security"

  name   = module.naming.prefix
  vpc_id = module.network.vpc_id

  tags = module.naming.tags
}

module "storage" {
  source = "../../modules/storage"

  account_id             = var.account_id
  bucket_names           = module.naming.bucket_names
  kms_key_arn            = module.kms.key_arn
  s3_endpoint_id         = module.network.s3_endpoint_id
  break_glass_role_arn   = var.break_glass_role_arn
  release_publisher_arns = var.release_publisher_arns
  elb_account_id         = var.elb_account_id

  tags = module.naming.tags
}

module "edge" {
  source = "../../modules/edge"

  name               = module.naming.prefix
  vpc_id             = module.network.vpc_id
  public_subnet_ids  = module.network.public_subnet_ids
  security_group_id  = module.security.alb_security_group_id
  certificate_arn    = module.dns.certificate_arn
  access_logs_bucket = module.storage.logs_bucket_name

  tags = module.naming.tags
}

module "dns" {
  source = "../../modules/dns"

  zone_id                = var.zone_id
  service_name           = var.service_name
  load_balancer_dns_name = module.edge.dns_name
  load_balancer_zone_id  = module.edge.zone_id

  tags = module.naming.tags
}

module "compute" {
  source = "../../modules/compute"

  name                  = module.naming.prefix
  environment           = local.environment
  account_id            = var.account_id
  region                = var.region
  ami_id                = var.ami_id
  instance_type         = var.instance_type
  min_size              = var.min_size
  max_size              = var.max_size
  app_subnet_ids        = module.network.app_subnet_ids
  app_security_group_id = module.security.app_security_group_id
  target_group_arn      = module.edge.target_group_arn
  kms_key_arn           = module.kms.key_arn
  uploads_bucket_name   = module.storage.uploads_bucket_name
  releases_bucket_name  = module.storage.releases_bucket_name
  release_version       = var.release_version
  parameter_path        = module.naming.parameter_path

  tags = module.naming.tags
}
