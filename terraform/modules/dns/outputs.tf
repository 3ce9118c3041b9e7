output "certificate_arn" {
  description = "ARN of the certificate, available once DNS validation has succeeded."
  value       = aws_acm_certificate_validation.this.certificate_arn
}

output "service_url" {
  description = "HTTPS address of the service."
  value       = "https://${var.service_name}"
}
