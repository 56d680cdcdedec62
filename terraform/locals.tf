data "aws_availability_zones" "available" {
  state = "available"
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  name = "${var.project}-${var.environment}"
  azs  = slice(data.aws_availability_zones.available.names, 0, var.az_count)

  nat_gateway_count = var.tasks_in_public_subnets ? 0 : (var.nat_gateway_mode == "per_az" ? var.az_count : 1)
  task_subnet_ids   = var.tasks_in_public_subnets ? aws_subnet.public[*].id : aws_subnet.private[*].id

  https = var.certificate_arn != ""
}
