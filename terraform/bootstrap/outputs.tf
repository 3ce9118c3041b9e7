output "state_bucket" {
  description = "Bucket to pass to each environment's terraform init as -backend-config=bucket=..."
  value       = aws_s3_bucket.this.id
}
