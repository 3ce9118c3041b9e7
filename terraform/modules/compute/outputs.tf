output "autoscaling_group_name" {
  description = "Name of the autoscaling group; the Ansible production inventory selects its instances by the group's tags."
  value       = aws_autoscaling_group.this.name
}

output "launch_template_id" {
  description = "ID of the launch template."
  value       = aws_launch_template.this.id
}

output "instance_role_arn" {
  description = "ARN of the instances' role, granted use of the key."
  value       = aws_iam_role.app.arn
}

output "instance_role_name" {
  description = "Name of the instances' role."
  value       = aws_iam_role.app.name
}

output "log_group_name" {
  description = "CloudWatch Logs group for the app's logs."
  value       = aws_cloudwatch_log_group.app.name
}

output "release_bundle_key" {
  description = "Key in the releases bucket that new instances boot from."
  value       = local.release_key
}
