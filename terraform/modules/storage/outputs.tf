output "uploads_bucket_name" {
  description = "Name of the uploads bucket, for the service's storage setting."
  value       = aws_s3_bucket.uploads.id
}

output "uploads_bucket_arn" {
  description = "ARN of the uploads bucket."
  value       = aws_s3_bucket.uploads.arn
}

output "releases_bucket_name" {
  description = "Name of the releases bucket, where the wheel and the Ansible bundle are published."
  value       = aws_s3_bucket.releases.id
}

output "releases_bucket_arn" {
  description = "ARN of the releases bucket."
  value       = aws_s3_bucket.releases.arn
}

output "logs_bucket_name" {
  description = "Name of the access log bucket, for the load balancer's access logs."
  value       = aws_s3_bucket.logs.id

  # The load balancer checks at creation that it may write its logs here.
  depends_on = [aws_s3_bucket_policy.logs]
}
