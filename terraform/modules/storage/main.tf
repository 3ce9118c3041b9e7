locals {
  arns = { for role, name in var.bucket_names : role => "arn:aws:s3:::${name}" }

  # Object reads and writes: what the policies keep inside the VPC. Listing
  # stays allowed because HeadBucket is authorised as s3:ListBucket, and
  # Terraform, run from outside the VPC, reads every bucket that way.
  data_actions = [
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
  ]

  deny_insecure_transport = {
    for role, arn in local.arns : role => {
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [arn, "${arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }
  }
}

################################################################################
# Uploads: the converted JSON documents
################################################################################

resource "aws_s3_bucket" "uploads" {
  # checkov:skip=CKV_AWS_144:Cross-region replication doubles storage cost for data users can re-upload; versioning and the 30-day noncurrent window cover accidental loss.
  # checkov:skip=CKV2_AWS_62:Nothing consumes bucket events; the service records each upload itself.
  bucket = var.bucket_names.uploads

  tags = var.tags
}

resource "aws_s3_bucket_versioning" "uploads" {
  bucket = aws_s3_bucket.uploads.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "uploads" {
  bucket = aws_s3_bucket.uploads.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_public_access_block" "uploads" {
  bucket = aws_s3_bucket.uploads.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "uploads" {
  bucket = aws_s3_bucket.uploads.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "uploads" {
  bucket = aws_s3_bucket.uploads.id

  # A conversion that fails mid-stream aborts its multipart upload, but a
  # crashed worker cannot: this sweeps the orphaned parts.
  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = 2
    }
  }

  rule {
    id     = "expire-noncurrent-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }
  }

  dynamic "rule" {
    for_each = var.upload_expiration_days > 0 ? [var.upload_expiration_days] : []

    content {
      id     = "expire-uploads"
      status = "Enabled"

      filter {}

      expiration {
        days = rule.value
      }
    }
  }

  depends_on = [aws_s3_bucket_versioning.uploads]
}

resource "aws_s3_bucket_logging" "uploads" {
  bucket = aws_s3_bucket.uploads.id

  target_bucket = aws_s3_bucket.logs.id
  target_prefix = "s3/${var.bucket_names.uploads}/"
}

resource "aws_s3_bucket_policy" "uploads" {
  bucket = aws_s3_bucket.uploads.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      local.deny_insecure_transport["uploads"],
      {
        Sid       = "DenyOutsideGatewayEndpoint"
        Effect    = "Deny"
        Principal = "*"
        Action    = local.data_actions
        Resource  = [local.arns.uploads, "${local.arns.uploads}/*"]
        Condition = {
          StringNotEquals = { "aws:SourceVpce" = var.s3_endpoint_id }
          ArnNotEquals    = { "aws:PrincipalArn" = [var.break_glass_role_arn] }
        }
      },
    ]
  })

  depends_on = [aws_s3_bucket_public_access_block.uploads]
}
