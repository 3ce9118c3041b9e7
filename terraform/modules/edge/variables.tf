variable "name" {
  description = "Name prefix for the load balancer and target group, e.g. csvdrop-production (at most 28 characters)."
  type        = string
  default     = "csvdrop"

  validation {
    condition     = length(var.name) <= 28
    error_message = "Load balancer names are limited to 32 characters; keep the prefix to 28 for the suffixes."
  }
}

variable "vpc_id" {
  description = "ID of the VPC of the target group."
  type        = string
}

variable "public_subnet_ids" {
  description = "Public subnets the load balancer spans, one per zone."
  type        = list(string)

  validation {
    condition     = length(var.public_subnet_ids) >= 2
    error_message = "An application load balancer needs subnets in at least two zones."
  }
}

variable "security_group_id" {
  description = "Security group of the load balancer."
  type        = string
}

variable "certificate_arn" {
  description = "ARN of the validated ACM certificate for the HTTPS listener."
  type        = string
}

variable "ssl_policy" {
  description = "TLS negotiation policy of the HTTPS listener; the default offers TLS 1.3 and 1.2 only."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"

  validation {
    condition = contains([
      "ELBSecurityPolicy-TLS13-1-2-2021-06",
      "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
      "ELBSecurityPolicy-TLS13-1-3-2021-06",
    ], var.ssl_policy)
    error_message = "Use a TLS 1.3-capable policy that refuses TLS 1.0 and 1.1."
  }
}

variable "access_logs_bucket" {
  description = "Bucket receiving the load balancer's access logs (under the alb/ prefix)."
  type        = string
}

variable "enable_deletion_protection" {
  description = "Refuse to delete the load balancer until this is switched off."
  type        = bool
  default     = true
}

variable "idle_timeout" {
  description = "Seconds a connection may stay idle; large uploads need the app's request timeout or more."
  type        = number
  default     = 300

  validation {
    condition     = var.idle_timeout >= 60 && var.idle_timeout <= 4000
    error_message = "The idle timeout must be 60 to 4000 seconds."
  }
}

variable "deregistration_delay" {
  description = "Seconds a draining target keeps serving its in-flight requests during a deploy."
  type        = number
  default     = 60

  validation {
    condition     = var.deregistration_delay >= 0 && var.deregistration_delay <= 3600
    error_message = "The deregistration delay must be 0 to 3600 seconds."
  }
}

variable "tags" {
  description = "Tags for the load balancer, its listeners and target group."
  type        = map(string)
  default     = {}
}
