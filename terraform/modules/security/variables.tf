variable "name" {
  description = "Name prefix for the security groups, e.g. csvdrop-production."
  type        = string
  default     = "csvdrop"
}

variable "vpc_id" {
  description = "ID of the VPC the groups belong to."
  type        = string
}

variable "public_ingress_cidrs" {
  description = "IPv4 ranges allowed to reach the load balancer; the internet by default."
  type        = list(string)
  default     = ["0.0.0.0/0"]

  validation {
    condition     = length(var.public_ingress_cidrs) > 0 && alltrue([for cidr in var.public_ingress_cidrs : can(cidrhost(cidr, 0))])
    error_message = "Give at least one valid IPv4 CIDR block."
  }
}

variable "tags" {
  description = "Tags for every security group."
  type        = map(string)
  default     = {}
}
