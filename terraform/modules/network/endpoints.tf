################################################################################
# VPC endpoints: S3 through a gateway on every private route table, and the
# services instances need at boot through interface endpoints
################################################################################

locals {
  private_route_table_ids = concat(aws_route_table.app[*].id, [aws_route_table.data.id])

  # The endpoint is the only path from the private tiers to S3, so naming the
  # project's buckets here stops data leaving to any other bucket.
  s3_endpoint_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "ProjectBucketsOnly"
      Effect    = "Allow"
      Principal = "*"
      Action = [
        "s3:GetObject",
        "s3:PutObject",
        "s3:AbortMultipartUpload",
        "s3:ListMultipartUploadParts",
        "s3:ListBucket",
        "s3:ListBucketMultipartUploads",
        "s3:GetBucketLocation",
      ]
      Resource = flatten([for arn in var.bucket_arns : [arn, "${arn}/*"]])
    }]
  })
}

resource "aws_vpc_endpoint" "s3" {
  vpc_id            = aws_vpc.this.id
  service_name      = "com.amazonaws.${var.region}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = local.private_route_table_ids
  policy            = local.s3_endpoint_policy

  tags = merge(var.tags, { Name = "${var.name}-s3" })
}

resource "aws_vpc_endpoint" "interface" {
  for_each = toset(var.interface_endpoint_services)

  vpc_id              = aws_vpc.this.id
  service_name        = "com.amazonaws.${var.region}.${each.key}"
  vpc_endpoint_type   = "Interface"
  subnet_ids          = aws_subnet.app[*].id
  security_group_ids  = [var.endpoint_security_group_id]
  private_dns_enabled = true

  tags = merge(var.tags, { Name = "${var.name}-${each.key}" })
}
