variable "zone_id" {
  description = "ID of the Route 53 hosted zone that holds the service name."
  type        = string

  validation {
    condition     = can(regex("^Z[A-Z0-9]{4,32}$", var.zone_id))
    error_message = "The hosted zone id must look like Z0123456789ABCDEFGHIJ."
  }
}

variable "service_name" {
  description = "Fully qualified name users reach the service at, e.g. csvdrop.example.com."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.service_name))
    error_message = "The service name must be a lowercase DNS name without a trailing dot."
  }
}

variable "load_balancer_dns_name" {
  description = "DNS name of the load balancer the alias points at."
  type        = string
}

variable "load_balancer_zone_id" {
  description = "Route 53 zone of the load balancer's DNS name."
  type        = string
}

variable "tags" {
  description = "Tags for the certificate."
  type        = map(string)
  default     = {}
}
