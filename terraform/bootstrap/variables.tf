variable "region" {
  description = "AWS region of the state bucket."
  type        = string
  default     = "eu-west-1"
}

variable "account_id" {
  description = "AWS account the state bucket belongs to; its id ends the bucket name."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "The account id must be 12 digits."
  }
}
