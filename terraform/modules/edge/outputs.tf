output "dns_name" {
  description = "DNS name of the load balancer, the target of the service's alias record."
  value       = aws_lb.this.dns_name
}

output "zone_id" {
  description = "Route 53 zone of the load balancer's DNS name, for the alias record."
  value       = aws_lb.this.zone_id
}

output "load_balancer_arn" {
  description = "ARN of the load balancer."
  value       = aws_lb.this.arn
}

output "target_group_arn" {
  description = "ARN of the HTTPS target group the autoscaling group registers in."
  value       = aws_lb_target_group.this.arn
}

output "target_group_name" {
  description = "Name of the target group; the deploy playbook drains and re-registers instances in it."
  value       = aws_lb_target_group.this.name
}
