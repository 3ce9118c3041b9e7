variable "project" {
  description = "Short project name that starts every resource name."
  type        = string
  default     = "csvdrop"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,18}[a-z0-9]$", var.project))
    error_message = "The project must be 3-20 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "environment" {
  description = "Environment the resources belong to: production or staging."
  type        = string
  default     = "staging"

  validation {
    condition     = contains(["production", "staging"], var.environment)
    error_message = "The environment must be production or staging."
  }
}

variable "bucket_suffix" {
  description = "Globally unique tail of every bucket name, usually the AWS account id."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{2,22}[a-z0-9]$", var.bucket_suffix))
    error_message = "The bucket suffix must be 4-24 lowercase letters, digits or hyphens (bucket names are global, so it cannot be empty)."
  }
}

variable "extra_tags" {
  description = "Tags added to the standard Project, Environment and ManagedBy tags."
  type        = map(string)
  default     = {}
}
