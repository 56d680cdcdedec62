# Traffic flows CloudFront (VPC origin) -> ALB -> tasks -> database, and each
# security group admits only the hop before it.

resource "aws_security_group" "alb" {
  name        = "${local.name}-alb"
  description = "Internal ALB: reachable from CloudFront VPC origins only"
  vpc_id      = aws_vpc.this.id

  tags = { Name = "${local.name}-alb" }
}

# CloudFront puts its origin-facing network interfaces in this group, which it
# creates in the VPC; admitting it (and not the CloudFront prefix list, ~55
# rules of the group's quota of 60, that admits every distribution) lets only
# VPC origins of this account in. Public reports disagree on whether the group
# appears with the VPC origin or only once a distribution uses it, so the
# lookup waits for the distribution: the group exists then either way, and a
# first apply cannot fail on a lookup that finds nothing.
data "aws_security_group" "cloudfront_vpc_origins" {
  name   = "CloudFront-VPCOrigins-Service-SG"
  vpc_id = aws_vpc.this.id

  depends_on = [aws_cloudfront_vpc_origin.api, aws_cloudfront_distribution.this]
}

# aws_vpc_security_group_ingress_rule updates the referenced group in place
# (aws_security_group_rule would delete and re-create the rule, locking
# CloudFront out for a moment, whenever the lookup's result is re-read).
resource "aws_vpc_security_group_ingress_rule" "alb_from_cloudfront" {
  description                  = "CloudFront VPC origins"
  security_group_id            = aws_security_group.alb.id
  ip_protocol                  = "tcp"
  from_port                    = local.origin_port
  to_port                      = local.origin_port
  referenced_security_group_id = data.aws_security_group.cloudfront_vpc_origins.id
}

resource "aws_security_group_rule" "alb_from_cidrs" {
  for_each = length(var.alb_ingress_cidr_blocks) > 0 ? toset(local.https ? ["80", "443"] : ["80"]) : toset([])

  type              = "ingress"
  description       = "Direct access from the listed private CIDR blocks"
  security_group_id = aws_security_group.alb.id
  protocol          = "tcp"
  from_port         = tonumber(each.value)
  to_port           = tonumber(each.value)
  cidr_blocks       = var.alb_ingress_cidr_blocks
}

resource "aws_security_group_rule" "alb_to_tasks" {
  type                     = "egress"
  description              = "To the tasks"
  security_group_id        = aws_security_group.alb.id
  protocol                 = "tcp"
  from_port                = var.container_port
  to_port                  = var.container_port
  source_security_group_id = aws_security_group.tasks.id
}

resource "aws_security_group" "tasks" {
  name        = "${local.name}-tasks"
  description = "API server tasks: reachable from the ALB only"
  vpc_id      = aws_vpc.this.id

  tags = { Name = "${local.name}-tasks" }
}

resource "aws_security_group_rule" "tasks_from_alb" {
  type                     = "ingress"
  description              = "From the ALB"
  security_group_id        = aws_security_group.tasks.id
  protocol                 = "tcp"
  from_port                = var.container_port
  to_port                  = var.container_port
  source_security_group_id = aws_security_group.alb.id
}

# The tasks pull images from ECR, read their secret and ship logs over HTTPS:
# through the interface endpoints when vpc_interface_endpoints is on, else to
# the AWS public endpoints through NAT; S3 (image layers) always goes through
# the gateway endpoint. Endpoint addresses are not known in advance, so the
# rule names no destination.
#tfsec:ignore:aws-vpc-no-public-egress-sgr HTTPS to AWS APIs (ECR, Secrets Manager, CloudWatch Logs, S3) via endpoints or NAT
resource "aws_security_group_rule" "tasks_to_aws_apis" {
  type              = "egress"
  description       = "HTTPS to AWS APIs"
  security_group_id = aws_security_group.tasks.id
  protocol          = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_blocks       = ["0.0.0.0/0"]
}

resource "aws_security_group_rule" "tasks_to_db" {
  type                     = "egress"
  description              = "To the database"
  security_group_id        = aws_security_group.tasks.id
  protocol                 = "tcp"
  from_port                = 3306
  to_port                  = 3306
  source_security_group_id = aws_security_group.db.id
}

resource "aws_security_group" "db" {
  name        = "${local.name}-db"
  description = "RDS MySQL: reachable from the tasks only"
  vpc_id      = aws_vpc.this.id

  tags = { Name = "${local.name}-db" }
}

resource "aws_security_group_rule" "db_from_tasks" {
  type                     = "ingress"
  description              = "MySQL from the tasks"
  security_group_id        = aws_security_group.db.id
  protocol                 = "tcp"
  from_port                = 3306
  to_port                  = 3306
  source_security_group_id = aws_security_group.tasks.id
}
