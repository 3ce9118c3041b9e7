output "zone_count" {
  description = "Number of availability zones the environment spans."
  value       = length(var.availability_zones)
}
