# Traffic flows CloudFront -> ALB -> tasks -> database, and each security group
# admits only the hop before it.

data "aws_ec2_managed_prefix_list" "cloudfront" {
  name = "com.amazonaws.global.cloudfront.origin-facing"
}

resource "aws_security_group" "alb" {
  name        = "${local.name}-alb"
  description = "ALB: reachable from CloudFront and the listed CIDR blocks"
  vpc_id      = aws_vpc.this.id

  tags = { Name = "${local.name}-alb" }
}

# The prefix list counts as ~55 rules against the group's quota, so it is
# admitted on the one port CloudFront uses for the origin.
resource "aws_security_group_rule" "alb_from_cloudfront" {
  type              = "ingress"
  description       = "CloudFront origin-facing ranges"
  security_group_id = aws_security_group.alb.id
  protocol          = "tcp"
  from_port         = local.https ? 443 : 80
  to_port           = local.https ? 443 : 80
  prefix_list_ids   = [data.aws_ec2_managed_prefix_list.cloudfront.id]
}

resource "aws_security_group_rule" "alb_from_cidrs" {
  for_each = length(var.alb_ingress_cidr_blocks) > 0 ? toset(local.https ? ["80", "443"] : ["80"]) : toset([])

  type              = "ingress"
  description       = "Direct access for the listed CIDR blocks"
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

# The tasks pull images from ECR, read their secret and ship logs over the AWS
# public endpoints (through NAT); VPC endpoints would cost more than NAT here.
#tfsec:ignore:aws-vpc-no-public-egress-sgr HTTPS to AWS APIs (ECR, Secrets Manager, CloudWatch Logs) via NAT
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
