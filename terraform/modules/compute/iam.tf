################################################################################
# Instance role: least privilege for the service and for Session Manager
################################################################################

locals {
  uploads_bucket_arn  = "arn:aws:s3:::${var.uploads_bucket_name}"
  releases_bucket_arn = "arn:aws:s3:::${var.releases_bucket_name}"
  parameter_arn_base  = "arn:aws:ssm:${var.region}:${var.account_id}:parameter${trimsuffix(var.parameter_path, "/")}"
}

resource "aws_iam_role" "app" {
  name        = "${var.name}-app"
  description = "csvdrop app instances"

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })

  tags = var.tags
}

resource "aws_iam_role_policy" "app" {
  name = "csvdrop-app"
  role = aws_iam_role.app.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "UploadObjects"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
        Resource = [for prefix in var.object_prefixes : "${local.uploads_bucket_arn}/${prefix}*"]
      },
      {
        # IfExists lets the readiness probe's HeadBucket through (it names no
        # prefix) while listings stay confined to the service's prefixes.
        Sid       = "ListUploads"
        Effect    = "Allow"
        Action    = "s3:ListBucket"
        Resource  = local.uploads_bucket_arn
        Condition = { StringLikeIfExists = { "s3:prefix" = [for prefix in var.object_prefixes : "${prefix}*"] } }
      },
      {
        Sid      = "ReadReleaseBundles"
        Effect   = "Allow"
        Action   = "s3:GetObject"
        Resource = "${local.releases_bucket_arn}/releases/*"
      },
      {
        Sid      = "UseProjectKey"
        Effect   = "Allow"
        Action   = ["kms:GenerateDataKey", "kms:Decrypt"]
        Resource = var.kms_key_arn
      },
      {
        Sid      = "ReadEnvironmentSecrets"
        Effect   = "Allow"
        Action   = ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"]
        Resource = [local.parameter_arn_base, "${local.parameter_arn_base}/*"]
      },
      {
        Sid      = "WriteAppLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
        Resource = "${aws_cloudwatch_log_group.app.arn}:*"
      },
      {
        # Session Manager's channel actions have no resource-level form.
        Sid    = "SessionManager"
        Effect = "Allow"
        Action = [
          "ssm:UpdateInstanceInformation",
          "ssmmessages:CreateControlChannel",
          "ssmmessages:CreateDataChannel",
          "ssmmessages:OpenControlChannel",
          "ssmmessages:OpenDataChannel",
          "ec2messages:AcknowledgeMessage",
          "ec2messages:DeleteMessage",
          "ec2messages:FailMessage",
          "ec2messages:GetEndpoint",
          "ec2messages:GetMessages",
          "ec2messages:SendReply",
        ]
        Resource = "*"
      },
    ]
  })
}

resource "aws_iam_instance_profile" "app" {
  name = "${var.name}-app"
  role = aws_iam_role.app.name

  tags = var.tags
}
