variable "name" {
  description = "Name prefix for the group, template, role and log group, e.g. csvdrop-production."
  type        = string
  default     = "csvdrop"
}

variable "environment" {
  description = "Environment the instances serve, written to their facts file: production or staging."
  type        = string
  default     = "staging"

  validation {
    condition     = contains(["production", "staging"], var.environment)
    error_message = "The environment must be production or staging."
  }
}

variable "account_id" {
  description = "AWS account of the instances, used to name the parameters they may read."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "The account id must be 12 digits."
  }
}

variable "region" {
  description = "AWS region of the instances."
  type        = string
  default     = "eu-west-1"
}

variable "ami_id" {
  description = "Debian 12 AMI the instances boot from, with the SSM agent installed (the official Debian image lacks it)."
  type        = string

  validation {
    condition     = can(regex("^ami-[0-9a-f]{8,17}$", var.ami_id))
    error_message = "The AMI id must look like ami-0123456789abcdef0."
  }
}

variable "instance_type" {
  description = "EC2 instance type of the app servers."
  type        = string
  default     = "t3.small"
}

variable "root_volume_size" {
  description = "Size of the encrypted root disk in GiB (conversions spool to disk)."
  type        = number
  default     = 20

  validation {
    condition     = var.root_volume_size >= 8 && var.root_volume_size <= 1024
    error_message = "The root disk must be 8 to 1024 GiB."
  }
}

variable "min_size" {
  description = "Fewest instances the group keeps running; two or more so one zone can fail."
  type        = number
  default     = 2

  validation {
    condition     = var.min_size >= 2
    error_message = "Run at least two instances: with one, every deploy or zone failure is an outage."
  }
}

variable "max_size" {
  description = "Most instances the group scales out to."
  type        = number
  default     = 6

  validation {
    condition     = var.max_size >= 2
    error_message = "The maximum must be at least two (and at least min_size)."
  }
}

variable "cpu_target_percent" {
  description = "Average CPU use the target-tracking policy holds the group at."
  type        = number
  default     = 60

  validation {
    condition     = var.cpu_target_percent >= 10 && var.cpu_target_percent <= 90
    error_message = "The CPU target must be 10 to 90 percent."
  }
}

variable "app_subnet_ids" {
  description = "Private app subnets to launch instances into, one per zone."
  type        = list(string)

  validation {
    condition     = length(var.app_subnet_ids) >= 2
    error_message = "Give at least two app subnets, in different zones."
  }
}

variable "app_security_group_id" {
  description = "Security group of the app instances."
  type        = string
}

variable "target_group_arn" {
  description = "HTTPS target group the instances register in."
  type        = string
}

variable "kms_key_arn" {
  description = "Customer key that encrypts the disks, the uploads and the log group."
  type        = string
}

variable "uploads_bucket_name" {
  description = "Bucket the service writes converted uploads to."
  type        = string
}

variable "object_prefixes" {
  description = "Key prefixes the service writes under (converted documents, upload records, idempotency keys); the instance role may touch objects only below them."
  type        = list(string)
  default     = ["uploads/", "records/", "idempotency/"]

  validation {
    condition     = length(var.object_prefixes) > 0 && alltrue([for prefix in var.object_prefixes : can(regex("^[a-z0-9][a-z0-9/_-]*/$", prefix))])
    error_message = "Each prefix must be a relative key prefix ending in a slash, e.g. uploads/."
  }
}

variable "releases_bucket_name" {
  description = "Bucket holding the release bundles."
  type        = string
}

variable "release_version" {
  description = "Release whose bundle new instances boot from: releases/<version>/csvdrop-bundle.tar.gz."
  type        = string

  validation {
    condition     = can(regex("^[0-9A-Za-z][0-9A-Za-z._+-]*$", var.release_version))
    error_message = "The release version must be a plain version string such as 0.1.0."
  }
}

variable "parameter_path" {
  description = "SSM Parameter Store path holding the environment's secrets; the instances may read only below it."
  type        = string

  validation {
    condition     = can(regex("^/[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*/$", var.parameter_path))
    error_message = "The parameter path must start and end with a slash, e.g. /csvdrop/production/."
  }
}

variable "log_retention_days" {
  description = "Days to keep the app's CloudWatch logs."
  type        = number
  default     = 365

  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "Keep app logs at least a year, in a retention CloudWatch Logs accepts (365, 400, 545, 731, ...)."
  }
}

variable "tags" {
  description = "Tags for every compute resource; the group propagates them to its instances."
  type        = map(string)
  default     = {}
}
