# Each tier owns a fixed block of slots (max_zones wide), so adding a zone
# later gives new subnets without renumbering the existing ones.
locals {
  max_zones = 4
  tiers     = ["public", "app", "data"]

  subnets = {
    for tier_index, tier in local.tiers : tier => [
      for zone in range(var.zone_count) :
      cidrsubnet(var.vpc_cidr, var.subnet_newbits, tier_index * local.max_zones + zone)
    ]
  }
}
