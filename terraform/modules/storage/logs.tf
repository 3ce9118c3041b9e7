################################################################################
# Logs: load balancer and bucket access logs. Both delivery services write
# only to SSE-S3 buckets, so this one bucket cannot use the customer key.
################################################################################

locals {
  # Regions older than August 2022 deliver load balancer logs as a regional
  # ELB account; newer ones as the log delivery service.
  alb_log_principal = var.elb_account_id == null ? { Service = "logdelivery.elasticloadbalancing.amazonaws.com" } : { AWS = "arn:aws:iam::${var.elb_account_id}:root" }

  logs_policy_statements = [
    local.deny_insecure_transport["logs"],
    {
      Sid       = "LoadBalancerLogDelivery"
      Effect    = "Allow"
      Principal = local.alb_log_principal
      Action    = "s3:PutObject"
      Resource  = "${local.arns.logs}/alb/AWSLogs/${var.account_id}/*"
    },
    {
      Sid       = "BucketAccessLogDelivery"
      Effect    = "Allow"
      Principal = { Service = "logging.s3.amazonaws.com" }
      Action    = "s3:PutObject"
      Resource  = "${local.arns.logs}/s3/*"
      Condition = {
        ArnLike      = { "aws:SourceArn" = [local.arns.uploads, local.arns.releases] }
        StringEquals = { "aws:SourceAccount" = var.account_id }
      }
    },
  ]
}

resource "aws_s3_bucket" "logs" {
  # checkov:skip=CKV_AWS_18:This is the access log target; logging it into itself would loop.
  # checkov:skip=CKV_AWS_144:Access logs are kept for audit in one region; replication would double their cost.
  # checkov:skip=CKV_AWS_145:Load balancer and S3 server access log delivery accept only SSE-S3 target buckets, so the customer key cannot be used here.
  # checkov:skip=CKV2_AWS_62:Nothing consumes log delivery events; logs are read on demand during an investigation.
  bucket = var.bucket_names.logs

  tags = var.tags
}

resource "aws_s3_bucket_versioning" "logs" {
  bucket = aws_s3_bucket.logs.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "logs" {
  bucket = aws_s3_bucket.logs.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "logs" {
  bucket = aws_s3_bucket.logs.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id

  rule {
    id     = "expire-logs"
    status = "Enabled"

    filter {}

    expiration {
      days = var.log_expiration_days
    }

    noncurrent_version_expiration {
      noncurrent_days = 7
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 2
    }
  }

  depends_on = [aws_s3_bucket_versioning.logs]
}

resource "aws_s3_bucket_policy" "logs" {
  bucket = aws_s3_bucket.logs.id

  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = local.logs_policy_statements
  })

  depends_on = [aws_s3_bucket_public_access_block.logs]
}
