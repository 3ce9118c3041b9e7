variable "region" {
  description = "AWS region of the environment."
  type        = string
  default     = "eu-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "The region must look like eu-west-1."
  }
}

variable "account_id" {
  description = "AWS account the environment lives in."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "The account id must be 12 digits."
  }
}

variable "availability_zones" {
  description = "Availability zones of the region to spread every tier over."
  type        = list(string)
  default     = ["eu-west-1a", "eu-west-1b"]

  validation {
    condition     = length(var.availability_zones) >= 2 && length(var.availability_zones) <= 4 && length(distinct(var.availability_zones)) == length(var.availability_zones)
    error_message = "Give two to four distinct availability zones."
  }

  validation {
    condition     = alltrue([for zone in var.availability_zones : can(regex("^${var.region}[a-z]$", zone))])
    error_message = "Every availability zone must belong to the region, e.g. eu-west-1a."
  }
}

variable "vpc_cidr" {
  description = "IPv4 range of the VPC: a private /16 to /24 block."
  type        = string
  default     = "10.0.0.0/16"

  validation {
    condition = can(cidrhost(var.vpc_cidr, 0)) && anytrue([
      for private in ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] :
      cidrsubnet("${split("/", var.vpc_cidr)[0]}/${split("/", private)[1]}", 0, 0) == private
    ])
    error_message = "The VPC range must lie in 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16."
  }
}

variable "service_name" {
  description = "Fully qualified name of the service."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.service_name))
    error_message = "The service name must be a lowercase DNS name without a trailing dot."
  }
}

variable "zone_id" {
  description = "Route 53 hosted zone holding the service name."
  type        = string

  validation {
    condition     = can(regex("^Z[A-Z0-9]{4,32}$", var.zone_id))
    error_message = "The hosted zone id must look like Z0123456789ABCDEFGHIJ."
  }
}

variable "ami_id" {
  description = "AMI of the app servers."
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

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.instance_type))
    error_message = "The instance type must look like t3.small."
  }
}

variable "min_size" {
  description = "Fewest app servers running."
  type        = number
  default     = 2

  validation {
    condition     = var.min_size >= 2
    error_message = "Run at least two app servers: with one, every deploy or zone failure is an outage."
  }
}

variable "max_size" {
  description = "Most app servers running."
  type        = number
  default     = 6

  validation {
    condition     = var.max_size >= var.min_size
    error_message = "The maximum number of app servers must be at least the minimum."
  }
}

variable "release_version" {
  description = "Release new instances boot from."
  type        = string

  validation {
    condition     = can(regex("^[0-9A-Za-z][0-9A-Za-z._+-]*$", var.release_version))
    error_message = "The release version must be a plain version string such as 0.1.0."
  }
}

variable "break_glass_role_arn" {
  description = "Role allowed to reach the buckets from outside the VPC in an emergency."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::${var.account_id}:role/[A-Za-z0-9+=,.@_/-]+$", var.break_glass_role_arn))
    error_message = "The break-glass role must be an IAM role ARN in the environment's account."
  }
}

variable "release_publisher_arns" {
  description = "Roles that publish release bundles from outside the VPC."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.release_publisher_arns : can(regex("^arn:aws[a-z-]*:iam::${var.account_id}:role/[A-Za-z0-9+=,.@_/-]+$", arn))])
    error_message = "Release publishers must be IAM role ARNs in the environment's account."
  }
}

variable "elb_account_id" {
  description = "Elastic Load Balancing account of the region for log delivery, or null."
  type        = string
  default     = null

  validation {
    condition     = var.elb_account_id == null || can(regex("^[0-9]{12}$", var.elb_account_id))
    error_message = "The ELB account id must be 12 digits or null."
  }
}
