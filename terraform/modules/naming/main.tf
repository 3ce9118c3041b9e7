# Every name in an environment derives from one prefix, so two environments
# in one account never collide and an operator can tell them apart at a glance.
locals {
  prefix = "${var.project}-${var.environment}"

  bucket_names = {
    uploads  = "${local.prefix}-uploads-${var.bucket_suffix}"
    releases = "${local.prefix}-releases-${var.bucket_suffix}"
    logs     = "${local.prefix}-logs-${var.bucket_suffix}"
  }

  tags = merge(var.extra_tags, {
    Project     = var.project
    Environment = var.environment
    ManagedBy   = "terraform"
  })
}
