################################################################################
# Releases: the app wheel and the Ansible bundle that instances boot from
################################################################################

resource "aws_s3_bucket" "releases" {
  # checkov:skip=CKV_AWS_144:Release bundles are rebuilt from the repository at any time; replication would add cost without protecting anything unique.
  # checkov:skip=CKV2_AWS_62:Nothing consumes bucket events; instances fetch a bundle at boot and deploys are run by an operator.
  bucket = var.bucket_names.releases

  tags = var.tags
}

resource "aws_s3_bucket_versioning" "releases" {
  bucket = aws_s3_bucket.releases.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "releases" {
  bucket = aws_s3_bucket.releases.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_public_access_block" "releases" {
  bucket = aws_s3_bucket.releases.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "releases" {
  bucket = aws_s3_bucket.releases.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "releases" {
  bucket = aws_s3_bucket.releases.id

  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = 2
    }
  }

  # Old bundles stay available for a rollback for 90 days after replacement.
  rule {
    id     = "expire-noncurrent-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = 90
    }
  }

  depends_on = [aws_s3_bucket_versioning.releases]
}

resource "aws_s3_bucket_logging" "releases" {
  bucket = aws_s3_bucket.releases.id

  target_bucket = aws_s3_bucket.logs.id
  target_prefix = "s3/${var.bucket_names.releases}/"
}

resource "aws_s3_bucket_policy" "releases" {
  bucket = aws_s3_bucket.releases.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      local.deny_insecure_transport["releases"],
      {
        Sid       = "DenyOutsideGatewayEndpoint"
        Effect    = "Deny"
        Principal = "*"
        Action    = local.data_actions
        Resource  = [local.arns.releases, "${local.arns.releases}/*"]
        Condition = {
          StringNotEquals = { "aws:SourceVpce" = var.s3_endpoint_id }
          ArnNotEquals    = { "aws:PrincipalArn" = concat([var.break_glass_role_arn], var.release_publisher_arns) }
        }
      },
    ]
  })

  depends_on = [aws_s3_bucket_public_access_block.releases]
}
