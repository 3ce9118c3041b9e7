variable "name" {
  description = "Name prefix for the key alias, e.g. csvdrop-production."
  type        = string
  default     = "csvdrop"
}

variable "account_id" {
  description = "AWS account that owns the key; its root principal administers it."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "The account id must be 12 digits."
  }
}

variable "region" {
  description = "AWS region of the key, used to name the CloudWatch Logs service principal."
  type        = string
  default     = "eu-west-1"
}

variable "instance_role_arn" {
  description = "ARN of the app instances' role, allowed to encrypt and decrypt uploads and parameters."
  type        = string
}

variable "deletion_window_in_days" {
  description = "Days a scheduled key deletion waits, during which it can be cancelled."
  type        = number
  default     = 30

  validation {
    condition     = var.deletion_window_in_days >= 7 && var.deletion_window_in_days <= 30
    error_message = "The deletion window must be 7 to 30 days."
  }
}

variable "rotation_period_in_days" {
  description = "Days between automatic rotations of the key material."
  type        = number
  default     = 365

  validation {
    condition     = var.rotation_period_in_days >= 90 && var.rotation_period_in_days <= 2560
    error_message = "AWS accepts rotation periods of 90 to 2560 days."
  }
}

variable "create_autoscaling_service_linked_role" {
  description = "Create the autoscaling service-linked role; AWS creates it on an account's first autoscaling group, but the key policy needs it to exist first."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for the key."
  type        = map(string)
  default     = {}
}
