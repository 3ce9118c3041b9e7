variable "account_id" {
  description = "AWS account that owns the buckets; log delivery is accepted only on its behalf."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "The account id must be 12 digits."
  }
}

variable "bucket_names" {
  description = "Bucket names by role, from the naming module: uploads, releases and logs."
  type = object({
    uploads  = string
    releases = string
    logs     = string
  })
}

variable "kms_key_arn" {
  description = "ARN of the customer key that encrypts the uploads and releases buckets."
  type        = string
}

variable "s3_endpoint_id" {
  description = "ID of the S3 gateway endpoint: data requests to the buckets must come through it."
  type        = string
}

variable "break_glass_role_arn" {
  description = "ARN of the role that may reach the buckets from outside the VPC in an emergency (the bucket policy names it)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$", var.break_glass_role_arn))
    error_message = "The break-glass role must be given by its IAM role ARN."
  }
}

variable "release_publisher_arns" {
  description = "ARNs of the roles that publish release bundles from outside the VPC (CI or an operator); they may write to the releases bucket only."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.release_publisher_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", arn))])
    error_message = "Release publishers must be given by IAM role ARNs."
  }
}

variable "elb_account_id" {
  description = "Account of Elastic Load Balancing in the region, for regions that predate the log delivery service principal (e.g. 156460612806 in eu-west-1); null for newer regions."
  type        = string
  default     = null

  validation {
    condition     = var.elb_account_id == null || can(regex("^[0-9]{12}$", var.elb_account_id))
    error_message = "The ELB account id must be 12 digits or null."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days an overwritten or deleted upload stays recoverable as a noncurrent version."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1
    error_message = "Keep noncurrent versions at least one day."
  }
}

variable "upload_expiration_days" {
  description = "Days after which converted uploads are deleted; 0 keeps them forever."
  type        = number
  default     = 0

  validation {
    condition     = var.upload_expiration_days >= 0
    error_message = "The expiration must be 0 (never) or a number of days."
  }
}

variable "log_expiration_days" {
  description = "Days to keep load balancer and bucket access logs."
  type        = number
  default     = 365

  validation {
    condition     = var.log_expiration_days >= 90
    error_message = "Keep access logs at least 90 days."
  }
}

variable "tags" {
  description = "Tags for every bucket."
  type        = map(string)
  default     = {}
}
