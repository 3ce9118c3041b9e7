terraform {
  required_version = ">= 1.11.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.84.0"
    }
  }

  # This configuration makes the bucket every other state lives in, so its
  # own state stays local: keep terraform.tfstate from this directory safe
  # (it holds no secrets) or re-import the bucket if it is lost.
}

provider "aws" {
  region = var.region

  allowed_account_ids = [var.account_id]
}
