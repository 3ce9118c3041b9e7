output "prefix" {
  description = "Name prefix for every resource of the environment, e.g. csvdrop-production."
  value       = local.prefix
}

output "bucket_names" {
  description = "Bucket names by role: uploads, releases and logs."
  value       = local.bucket_names
}

output "bucket_arns" {
  description = "Bucket ARNs by role, built from the names so that policies can name them before the buckets exist."
  value       = { for role, name in local.bucket_names : role => "arn:aws:s3:::${name}" }
}

output "parameter_path" {
  description = "SSM Parameter Store path under which the environment's secrets live; instances may read only below it."
  value       = "/${var.project}/${var.environment}/"
}

output "tags" {
  description = "Tags for every resource of the environment."
  value       = local.tags
}
