output "region" {
  description = "AWS region of the environment, for the Ansible inventory."
  value       = var.region
}

output "inventory_filters" {
  description = "Instance tags the Ansible inventory (aws_ec2 plugin) selects the app servers by."
  value = {
    "tag:Project"                   = module.naming.tags.Project
    "tag:Environment"               = module.naming.tags.Environment
    "tag:aws:autoscaling:groupName" = module.compute.autoscaling_group_name
    "instance-state-name"           = "running"
  }
}

output "autoscaling_group_name" {
  description = "Autoscaling group of the app servers."
  value       = module.compute.autoscaling_group_name
}

output "target_group_arn" {
  description = "Target group the deploy playbook drains and re-registers instances in."
  value       = module.edge.target_group_arn
}

output "uploads_bucket" {
  description = "Bucket the service stores converted uploads in (csvdrop storage setting)."
  value       = module.storage.uploads_bucket_name
}

output "releases_bucket" {
  description = "Bucket to publish release bundles to, under releases/<version>/csvdrop-bundle.tar.gz."
  value       = module.storage.releases_bucket_name
}

output "ansible_ssm_bucket" {
  description = "Bucket the Ansible aws_ssm connection stages files in (ansible_aws_ssm_bucket_name); instances fetch them through the S3 endpoint."
  value       = module.storage.releases_bucket_name
}

output "release_bundle_key" {
  description = "Key of the bundle that new instances boot from."
  value       = module.compute.release_bundle_key
}

output "kms_key_arn" {
  description = "Key that encrypts uploads (csvdrop KMS key setting), disks and logs."
  value       = module.kms.key_arn
}

output "parameter_path" {
  description = "SSM Parameter Store path for the environment's secrets."
  value       = module.naming.parameter_path
}

output "app_log_group" {
  description = "CloudWatch Logs group for the app's logs."
  value       = module.compute.log_group_name
}

output "service_url" {
  description = "HTTPS address of the service."
  value       = module.dns.service_url
}

output "nat_public_ips" {
  description = "Public addresses of the app servers' outbound traffic."
  value       = module.network.nat_public_ips
}
