locals {
  release_key = "releases/${var.release_version}/csvdrop-bundle.tar.gz"

  user_data = templatefile("${path.module}/user_data.sh.tftpl", {
    environment     = var.environment
    region          = var.region
    uploads_bucket  = var.uploads_bucket_name
    kms_key_arn     = var.kms_key_arn
    parameter_path  = var.parameter_path
    log_group       = aws_cloudwatch_log_group.app.name
    release_version = var.release_version
    releases_bucket = var.releases_bucket_name
    release_key     = local.release_key
  })
}

resource "aws_cloudwatch_log_group" "app" {
  name              = "/${var.name}/app"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = var.tags
}

################################################################################
# Launch template
################################################################################

resource "aws_launch_template" "this" {
  name                   = "${var.name}-app"
  description            = "csvdrop app servers, configured at boot by the Ansible bootstrap playbook"
  image_id               = var.ami_id
  instance_type          = var.instance_type
  update_default_version = true
  ebs_optimized          = true
  user_data              = base64encode(local.user_data)

  iam_instance_profile {
    arn = aws_iam_instance_profile.app.arn
  }

  network_interfaces {
    associate_public_ip_address = false
    delete_on_termination       = true
    security_groups             = [var.app_security_group_id]
  }

  # A hop limit of 1 keeps the metadata token away from anything one network
  # hop further (containers, forwarded traffic).
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
    instance_metadata_tags      = "disabled"
  }

  block_device_mappings {
    device_name = "/dev/xvda"

    ebs {
      volume_type           = "gp3"
      volume_size           = var.root_volume_size
      encrypted             = true
      kms_key_id            = var.kms_key_arn
      delete_on_termination = true
    }
  }

  monitoring {
    enabled = true
  }

  tag_specifications {
    resource_type = "instance"
    tags          = merge(var.tags, { Name = "${var.name}-app" })
  }

  tag_specifications {
    resource_type = "volume"
    tags          = merge(var.tags, { Name = "${var.name}-app" })
  }

  tags = var.tags
}

################################################################################
# Autoscaling group
################################################################################

resource "aws_autoscaling_group" "this" {
  name                      = "${var.name}-app"
  vpc_zone_identifier       = var.app_subnet_ids
  min_size                  = var.min_size
  max_size                  = max(var.max_size, var.min_size)
  target_group_arns         = [var.target_group_arn]
  health_check_type         = "ELB"
  health_check_grace_period = 600
  default_instance_warmup   = 300
  wait_for_capacity_timeout = "15m"

  launch_template {
    id      = aws_launch_template.this.id
    version = aws_launch_template.this.latest_version
  }

  # A new launch template version replaces instances a slice at a time, so
  # the group never drops below the healthy share.
  instance_refresh {
    strategy = "Rolling"

    preferences {
      min_healthy_percentage = 50
      instance_warmup        = 300
    }
  }

  dynamic "tag" {
    for_each = merge(var.tags, { Name = "${var.name}-app" })

    content {
      key                 = tag.key
      value               = tag.value
      propagate_at_launch = true
    }
  }

  lifecycle {
    # The scaling policy owns the running count between min and max.
    ignore_changes = [desired_capacity]
  }
}

resource "aws_autoscaling_policy" "cpu" {
  name                   = "${var.name}-cpu-target"
  autoscaling_group_name = aws_autoscaling_group.this.name
  policy_type            = "TargetTrackingScaling"

  target_tracking_configuration {
    target_value = var.cpu_target_percent

    predefined_metric_specification {
      predefined_metric_type = "ASGAverageCPUUtilization"
    }
  }
}
