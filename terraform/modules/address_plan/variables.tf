variable "vpc_cidr" {
  description = "IPv4 range of the VPC, a /16 to /24 block."
  type        = string
  default     = "10.0.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && can(regex("^[0-9.]+/(1[6-9]|2[0-4])$", var.vpc_cidr))
    error_message = "The VPC range must be an IPv4 CIDR block between /16 and /24."
  }
}

variable "zone_count" {
  description = "Number of availability zones to spread each tier over (2 to 4)."
  type        = number
  default     = 2

  validation {
    condition     = var.zone_count >= 2 && var.zone_count <= 4 && floor(var.zone_count) == var.zone_count
    error_message = "The zone count must be a whole number from 2 to 4: one zone is no high availability, and the plan has room for four."
  }
}

variable "subnet_newbits" {
  description = "Bits added to the VPC prefix for each subnet; 4 splits a /16 into /20 subnets."
  type        = number
  default     = 4

  validation {
    condition     = var.subnet_newbits >= 4 && tonumber(split("/", var.vpc_cidr)[1]) + var.subnet_newbits <= 28
    error_message = "The subnet bits must be at least 4 (three tiers of four zones need 12 slots) and leave subnets of /28 or larger (AWS refuses smaller ones)."
  }
}
