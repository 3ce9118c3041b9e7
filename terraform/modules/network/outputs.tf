output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr" {
  description = "IPv4 range of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "public_subnet_ids" {
  description = "IDs of the public subnets, where the load balancer and the NAT gateways live."
  value       = aws_subnet.public[*].id
}

output "app_subnet_ids" {
  description = "IDs of the private app subnets, where the autoscaling group launches instances."
  value       = aws_subnet.app[*].id
}

output "data_subnet_ids" {
  description = "IDs of the isolated data subnets (no route to the internet)."
  value       = aws_subnet.data[*].id
}

output "nat_public_ips" {
  description = "Public addresses the app tier's outbound traffic comes from, for allow-lists elsewhere."
  value       = aws_eip.nat[*].public_ip
}

output "s3_endpoint_id" {
  description = "ID of the S3 gateway endpoint; the bucket policies accept data requests only through it."
  value       = aws_vpc_endpoint.s3.id
}

output "flow_log_group_name" {
  description = "CloudWatch Logs group holding the VPC flow logs."
  value       = aws_cloudwatch_log_group.flow_logs.name
}
