output "key_arn" {
  description = "ARN of the customer key that encrypts the uploads bucket, the instance disks and the log groups."
  value       = aws_kms_key.this.arn
}

output "key_id" {
  description = "ID of the customer key."
  value       = aws_kms_key.this.key_id
}

output "alias_name" {
  description = "Alias of the key, e.g. alias/csvdrop-production."
  value       = aws_kms_alias.this.name
}
