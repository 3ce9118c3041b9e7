locals {
  account_root = "arn:aws:iam::${var.account_id}:root"

  # Autoscaling launches instances with encrypted disks as this role; without
  # a grant in the key policy those launches fail.
  autoscaling_role_arn = "arn:aws:iam::${var.account_id}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"

  key_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdministersKey"
        Effect    = "Allow"
        Principal = { AWS = local.account_root }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "InstanceRoleUsesKey"
        Effect    = "Allow"
        Principal = { AWS = var.instance_role_arn }
        Action    = ["kms:GenerateDataKey", "kms:Decrypt"]
        Resource  = "*"
      },
      {
        Sid       = "LogsServiceUsesKey"
        Effect    = "Allow"
        Principal = { Service = "logs.${var.region}.amazonaws.com" }
        Action    = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
        Resource  = "*"
        Condition = {
          ArnLike = { "kms:EncryptionContext:aws:logs:arn" = "arn:aws:logs:${var.region}:${var.account_id}:log-group:*" }
        }
      },
      {
        Sid       = "AutoscalingServiceRoleUsesKey"
        Effect    = "Allow"
        Principal = { AWS = local.autoscaling_role_arn }
        Action    = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
        Resource  = "*"
      },
      {
        Sid       = "AutoscalingServiceRoleGrantsForDisks"
        Effect    = "Allow"
        Principal = { AWS = local.autoscaling_role_arn }
        Action    = "kms:CreateGrant"
        Resource  = "*"
        Condition = {
          Bool = { "kms:GrantIsForAWSResource" = true }
        }
      },
    ]
  })
}

resource "aws_iam_service_linked_role" "autoscaling" {
  count = var.create_autoscaling_service_linked_role ? 1 : 0

  aws_service_name = "autoscaling.amazonaws.com"

  tags = var.tags
}

resource "aws_kms_key" "this" {
  description             = "${var.name}: uploads, instance disks and logs"
  enable_key_rotation     = true
  rotation_period_in_days = var.rotation_period_in_days
  deletion_window_in_days = var.deletion_window_in_days
  policy                  = local.key_policy

  tags = var.tags

  depends_on = [aws_iam_service_linked_role.autoscaling]
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}"
  target_key_id = aws_kms_key.this.key_id
}
