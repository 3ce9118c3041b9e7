variables {
  environment   = "production"
  bucket_suffix = "111122223333"
}

run "names_derive_from_project_and_environment" {
  command = plan

  assert {
    condition     = output.prefix == "csvdrop-production"
    error_message = "The prefix must be <project>-<environment>."
  }

  assert {
    condition     = output.bucket_names.uploads == "csvdrop-production-uploads-111122223333"
    error_message = "The uploads bucket name must end with the suffix."
  }

  assert {
    condition     = output.bucket_arns.releases == "arn:aws:s3:::csvdrop-production-releases-111122223333"
    error_message = "Bucket ARNs must be built from the bucket names."
  }

  assert {
    condition     = output.parameter_path == "/csvdrop/production/"
    error_message = "The parameter path must be /<project>/<environment>/."
  }
}

run "standard_tags_win_over_extra_tags" {
  command = plan

  variables {
    extra_tags = { Team = "data", Environment = "spoofed" }
  }

  assert {
    condition     = output.tags.Environment == "production" && output.tags.Team == "data"
    error_message = "Extra tags must be kept but never override the standard ones."
  }
}

run "unknown_environment_is_rejected" {
  command = plan

  variables {
    environment = "prod"
  }

  expect_failures = [var.environment]
}

run "empty_bucket_suffix_is_rejected" {
  command = plan

  variables {
    bucket_suffix = ""
  }

  expect_failures = [var.bucket_suffix]
}

run "uppercase_project_is_rejected" {
  command = plan

  variables {
    project = "CsvDrop"
  }

  expect_failures = [var.project]
}
