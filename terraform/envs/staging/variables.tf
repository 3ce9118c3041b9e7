variable "region" {
  description = "AWS region of the environment."
  type        = string
  default     = "eu-west-1"
}

variable "account_id" {
  description = "AWS account the environment lives in; the provider refuses any other."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "The account id must be 12 digits."
  }
}

variable "availability_zones" {
  description = "Availability zones to spread every tier over, at least two."
  type        = list(string)
  default     = ["eu-west-1a", "eu-west-1b"]
}

variable "vpc_cidr" {
  description = "IPv4 range of the VPC."
  type        = string
  default     = "10.20.0.0/16"
}

variable "enable_single_nat_gateway" {
  description = "Share one NAT gateway between the zones (cheaper, loses app egress when that zone fails)."
  type        = bool
  default     = true
}

variable "service_name" {
  description = "Fully qualified name of the service, e.g. csvdrop.example.com."
  type        = string
}

variable "zone_id" {
  description = "Route 53 hosted zone holding the service name."
  type        = string
}

variable "ami_id" {
  description = "Debian 12 AMI of the app servers, with the SSM agent installed (the official Debian image lacks it)."
  type        = string
}

variable "instance_type" {
  description = "EC2 instance type of the app servers."
  type        = string
  default     = "t3.small"
}

variable "min_size" {
  description = "Fewest app servers running (at least two)."
  type        = number
  default     = 2
}

variable "max_size" {
  description = "Most app servers running."
  type        = number
  default     = 3
}

variable "release_version" {
  description = "Release new instances boot from; publish its bundle before changing this."
  type        = string
}

variable "break_glass_role_arn" {
  description = "Role allowed to reach the buckets from outside the VPC in an emergency."
  type        = string
}

variable "release_publisher_arns" {
  description = "Roles that publish release bundles into the releases bucket from outside the VPC."
  type        = list(string)
  default     = []
}

variable "elb_account_id" {
  description = "Elastic Load Balancing account of the region for access log delivery (156460612806 in eu-west-1); null in regions with the log delivery service principal."
  type        = string
  default     = "156460612806"
}

variable "create_autoscaling_service_linked_role" {
  description = "Create the autoscaling service-linked role (only in an account that has never used autoscaling)."
  type        = bool
  default     = false
}
