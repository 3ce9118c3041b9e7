output "public_subnets" {
  description = "CIDR blocks of the public subnets (load balancer and NAT gateways), one per zone."
  value       = local.subnets.public
}

output "app_subnets" {
  description = "CIDR blocks of the private app subnets (autoscaling group), one per zone."
  value       = local.subnets.app
}

output "data_subnets" {
  description = "CIDR blocks of the isolated data subnets, one per zone."
  value       = local.subnets.data
}
