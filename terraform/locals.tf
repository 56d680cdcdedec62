# Regular zones only: Local and Wavelength Zones (opt-in) lack the ALB, RDS
# Multi-AZ or Fargate support this module needs. Zones where CloudFront has no
# VPC origins are left out by zone ID (names map to different zones in each
# account): the ALB, and so the VPC origin, lives in every chosen zone.
data "aws_availability_zones" "available" {
  #checkov:skip=CKV_AWS_394:Only the first az_count names are used, and a zone AWS adds later gets a later name, so the set in use does not change
  state            = "available"
  exclude_zone_ids = var.vpc_origin_unsupported_zone_ids

  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }

  lifecycle {
    postcondition {
      condition     = length(self.names) >= var.az_count
      error_message = "az_count is larger than the number of availability zones this region offers for CloudFront VPC origins (zones in vpc_origin_unsupported_zone_ids are left out); lower az_count."
    }
  }
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  name = "${var.project}-${var.environment}"
  azs  = slice(data.aws_availability_zones.available.names, 0, var.az_count)

  nat_gateway_count = var.tasks_in_public_subnets ? 0 : (var.nat_gateway_mode == "per_az" ? var.az_count : 1)
  task_subnet_ids   = var.tasks_in_public_subnets ? aws_subnet.public[*].id : aws_subnet.private[*].id

  https = var.certificate_arn != ""
  # The one port CloudFront uses to reach the ALB.
  origin_port = local.https ? 443 : 80
}
