variables {
  region               = "eu-west-1"
  account_id           = "111122223333"
  availability_zones   = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
  vpc_cidr             = "10.10.0.0/16"
  service_name         = "csvdrop.example.com"
  zone_id              = "Z0123456789EXAMPLE"
  ami_id               = "ami-0123456789abcdef0"
  release_version      = "0.1.0"
  break_glass_role_arn = "arn:aws:iam::111122223333:role/csvdrop-break-glass"
}

run "valid_settings_are_accepted" {
  command = plan

  assert {
    condition     = output.zone_count == 3
    error_message = "Three zones were given."
  }
}

run "zone_of_another_region_is_rejected" {
  command = plan

  variables {
    availability_zones = ["eu-west-1a", "us-east-1b"]
  }

  expect_failures = [var.availability_zones]
}

run "repeated_zone_is_rejected" {
  command = plan

  variables {
    availability_zones = ["eu-west-1a", "eu-west-1a"]
  }

  expect_failures = [var.availability_zones]
}

run "public_vpc_range_is_rejected" {
  command = plan

  variables {
    vpc_cidr = "8.8.0.0/16"
  }

  expect_failures = [var.vpc_cidr]
}

run "private_172_range_is_accepted" {
  command = plan

  variables {
    vpc_cidr = "172.20.0.0/16"
  }
}

run "one_app_server_is_rejected" {
  command = plan

  variables {
    min_size = 1
  }

  expect_failures = [var.min_size]
}

run "maximum_below_minimum_is_rejected" {
  command = plan

  variables {
    min_size = 4
    max_size = 3
  }

  expect_failures = [var.max_size]
}

run "break_glass_role_of_another_account_is_rejected" {
  command = plan

  variables {
    break_glass_role_arn = "arn:aws:iam::999999999999:role/csvdrop-break-glass"
  }

  expect_failures = [var.break_glass_role_arn]
}

run "break_glass_user_instead_of_role_is_rejected" {
  command = plan

  variables {
    break_glass_role_arn = "arn:aws:iam::111122223333:user/admin"
  }

  expect_failures = [var.break_glass_role_arn]
}

run "publisher_of_another_account_is_rejected" {
  command = plan

  variables {
    release_publisher_arns = ["arn:aws:iam::999999999999:role/ci"]
  }

  expect_failures = [var.release_publisher_arns]
}

run "service_name_with_trailing_dot_is_rejected" {
  command = plan

  variables {
    service_name = "csvdrop.example.com."
  }

  expect_failures = [var.service_name]
}

run "malformed_ami_is_rejected" {
  command = plan

  variables {
    ami_id = "debian-12"
  }

  expect_failures = [var.ami_id]
}

run "malformed_zone_id_is_rejected" {
  command = plan

  variables {
    zone_id = "example.com"
  }

  expect_failures = [var.zone_id]
}

run "short_account_id_is_rejected" {
  command = plan

  variables {
    account_id           = "11112222333"
    break_glass_role_arn = "arn:aws:iam::11112222333:role/csvdrop-break-glass"
  }

  expect_failures = [var.account_id]
}
