run "default_plan_gives_three_tiers_of_two_zones" {
  command = plan

  assert {
    condition     = output.public_subnets == ["10.0.0.0/20", "10.0.16.0/20"]
    error_message = "Public subnets must take the first slots."
  }

  assert {
    condition     = output.app_subnets == ["10.0.64.0/20", "10.0.80.0/20"]
    error_message = "App subnets must start at slot 4."
  }

  assert {
    condition     = output.data_subnets == ["10.0.128.0/20", "10.0.144.0/20"]
    error_message = "Data subnets must start at slot 8."
  }
}

run "four_zones_never_overlap" {
  command = plan

  variables {
    vpc_cidr   = "10.20.0.0/20"
    zone_count = 4
  }

  assert {
    condition     = length(distinct(concat(output.public_subnets, output.app_subnets, output.data_subnets))) == 12
    error_message = "Twelve subnets must be twelve distinct blocks."
  }

  assert {
    condition = alltrue([
      for cidr in concat(output.public_subnets, output.app_subnets, output.data_subnets) :
      endswith(cidr, "/24")
    ])
    error_message = "A /20 VPC must be split into /24 subnets."
  }

  assert {
    condition     = output.data_subnets[3] == "10.20.11.0/24"
    error_message = "The last data subnet must be slot 11."
  }
}

run "adding_a_zone_keeps_existing_subnets" {
  command = plan

  variables {
    zone_count = 3
  }

  assert {
    condition     = slice(output.app_subnets, 0, 2) == ["10.0.64.0/20", "10.0.80.0/20"]
    error_message = "A third zone must not renumber the first two."
  }
}

run "one_zone_is_rejected" {
  command = plan

  variables {
    zone_count = 1
  }

  expect_failures = [var.zone_count]
}

run "five_zones_are_rejected" {
  command = plan

  variables {
    zone_count = 5
  }

  expect_failures = [var.zone_count]
}

run "malformed_vpc_range_is_rejected" {
  command = plan

  variables {
    vpc_cidr = "10.0.0.300/16"
  }

  expect_failures = [var.vpc_cidr]
}

run "too_large_vpc_range_is_rejected" {
  command = plan

  variables {
    vpc_cidr = "10.0.0.0/8"
  }

  expect_failures = [var.vpc_cidr]
}

run "subnets_smaller_than_a_slash_28_are_rejected" {
  command = plan

  variables {
    vpc_cidr       = "10.0.0.0/24"
    subnet_newbits = 5
  }

  expect_failures = [var.subnet_newbits]
}
