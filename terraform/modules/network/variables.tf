variable "name" {
  description = "Name prefix for every network resource, e.g. csvdrop-production."
  type        = string
  default     = "csvdrop"
}

variable "region" {
  description = "AWS region of the VPC, used to name the endpoint services."
  type        = string
  default     = "eu-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "The region must look like eu-west-1."
  }
}

variable "vpc_cidr" {
  description = "IPv4 range of the VPC; the address_plan module splits it into the three tiers."
  type        = string
  default     = "10.0.0.0/16"
}

variable "availability_zones" {
  description = "Availability zones to spread every tier over, at least two."
  type        = list(string)

  validation {
    condition     = length(var.availability_zones) >= 2 && length(var.availability_zones) <= 4 && length(distinct(var.availability_zones)) == length(var.availability_zones)
    error_message = "Give two to four distinct availability zones: one zone is no high availability."
  }
}

variable "enable_single_nat_gateway" {
  description = "Route every app subnet through one NAT gateway instead of one per zone: cheaper, but app egress stops if that zone fails."
  type        = bool
  default     = false
}

variable "kms_key_arn" {
  description = "ARN of the customer key that encrypts the flow log group."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "The KMS key must be given by its ARN."
  }
}

variable "bucket_arns" {
  description = "ARNs of the project's buckets: the only buckets the S3 gateway endpoint lets the private tiers reach."
  type        = list(string)

  validation {
    condition     = length(var.bucket_arns) > 0 && alltrue([for arn in var.bucket_arns : can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]+$", arn))])
    error_message = "Give at least one bucket ARN, without wildcards or object paths."
  }
}

variable "endpoint_security_group_id" {
  description = "Security group of the interface endpoints (from the security module)."
  type        = string
}

variable "interface_endpoint_services" {
  description = "AWS services reached through interface endpoints so that instances need no internet for them (Session Manager needs ssm, ssmmessages and ec2messages)."
  type        = list(string)
  default     = ["ssm", "ssmmessages", "ec2messages", "kms", "logs"]
}

variable "flow_log_retention_days" {
  description = "Days to keep VPC flow logs."
  type        = number
  default     = 365

  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_log_retention_days)
    error_message = "Keep flow logs for at least a year, in a retention CloudWatch Logs accepts (365, 400, 545, 731, ...)."
  }
}

variable "tags" {
  description = "Tags for every network resource."
  type        = map(string)
  default     = {}
}
