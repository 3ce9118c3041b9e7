terraform {
  required_version = ">= 1.11.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.84.0"
    }
  }

  # State lives in the bucket made by terraform/bootstrap. The bucket name is
  # per account, so it is given at init time:
  #   terraform init -backend-config="bucket=csvdrop-tfstate-<account id>"
  # use_lockfile takes the lock as an object next to the state (S3 conditional
  # writes), which replaces the DynamoDB lock table.
  backend "s3" {
    key          = "csvdrop/staging/terraform.tfstate"
    region       = "eu-west-1"
    encrypt      = true
    use_lockfile = true
  }
}

provider "aws" {
  region = var.region

  # Refuse to run against any other account, whatever credentials are loaded.
  allowed_account_ids = [var.account_id]
}
