# Plumbing for ECS's native blue/green, linear and canary deployments (issue 16),
# on when progressive_delivery is true. Terraform owns what does not change
# between deploys: the alternate target group, the production and test
# listener rules and the role ECS shifts traffic with. `empctl deploy backend
# --strategy ...` owns the per-deploy deploymentConfiguration (strategy, bake
# times, lifecycle hooks) through UpdateService; the service ignores it here.
#
# As ECS's developer guide lays it out ("Application Load Balancer resources
# for blue/green, linear, and canary deployments",
# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/alb-resources-for-blue-green.html):
# two target groups of the same settings, a primary one (the running revision)
# and an alternate one (the new revision); a production listener rule and a
# test listener rule that each forward to both, the primary at weight 100 and
# the alternate at 0; the rules' actions only forward (a rule mixing forward
# with redirect or fixed-response actions fails the deployment). ECS
# registers the new revision's tasks in the alternate group, moves the test
# rule's weight to it for the test stage, then shifts the production rule's
# weights (all at once, in steps or a canary first), and afterwards the two
# groups swap roles. So Terraform ignores the rules' actions, and the
# service's load_balancer, after creation.

locals {
  progressive = var.progressive_delivery ? 1 : 0
  # The listener CloudFront reaches: HTTPS with a certificate, else HTTP.
  serving_listener_arn = local.https ? aws_lb_listener.https[0].arn : aws_lb_listener.http.arn
  # Requests carrying this header with the environment's secret value reach the
  # new revision before any production traffic does: empctl's test gate.
  test_route_header = "X-Empctl-Test-Route"
}

resource "aws_lb_target_group" "alternate" {
  #checkov:skip=CKV_AWS_378:The ALB to task hop is HTTP inside the VPC, between two security groups that admit only each other
  count = local.progressive

  name_prefix          = "alt-"
  target_type          = "ip"
  port                 = var.container_port
  protocol             = "HTTP"
  vpc_id               = aws_vpc.this.id
  deregistration_delay = aws_lb_target_group.app.deregistration_delay

  health_check {
    path                = aws_lb_target_group.app.health_check[0].path
    matcher             = aws_lb_target_group.app.health_check[0].matcher
    interval            = aws_lb_target_group.app.health_check[0].interval
    timeout             = aws_lb_target_group.app.health_check[0].timeout
    healthy_threshold   = aws_lb_target_group.app.health_check[0].healthy_threshold
    unhealthy_threshold = aws_lb_target_group.app.health_check[0].unhealthy_threshold
  }

  tags = { Name = "${local.name}-alternate" }

  lifecycle {
    create_before_destroy = true
  }
}

# Random per environment, so only empctl (which reads it from the test rule,
# see the test_route_header_value output) reaches the new revision early.
resource "random_password" "test_route" {
  count = local.progressive

  length  = 40
  special = false
}

resource "aws_lb_listener_rule" "test" {
  count = local.progressive

  listener_arn = local.serving_listener_arn
  priority     = 10

  condition {
    http_header {
      http_header_name = local.test_route_header
      values           = [random_password.test_route[0].result]
    }
  }

  action {
    type = "forward"
    forward {
      target_group {
        arn    = aws_lb_target_group.app.arn
        weight = 100
      }
      target_group {
        arn    = aws_lb_target_group.alternate[0].arn
        weight = 0
      }
    }
  }

  tags = { Name = "${local.name}-test-route" }

  lifecycle {
    # ECS rewrites the weights (and, after a deployment, which group is which).
    ignore_changes = [action]
  }
}

resource "aws_lb_listener_rule" "production" {
  count = local.progressive

  listener_arn = local.serving_listener_arn
  priority     = 100

  condition {
    path_pattern {
      values = ["/*"]
    }
  }

  action {
    type = "forward"
    forward {
      target_group {
        arn    = aws_lb_target_group.app.arn
        weight = 100
      }
      target_group {
        arn    = aws_lb_target_group.alternate[0].arn
        weight = 0
      }
    }
  }

  tags = { Name = "${local.name}-production" }

  lifecycle {
    ignore_changes = [action]
  }
}

# The ECS infrastructure role for load balancers: ECS assumes it to register
# targets and rewrite the listener rules during a deployment.
data "aws_iam_policy_document" "ecs_load_balancers_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "ecs_load_balancers" {
  count = local.progressive

  name               = "${local.name}-ecs-load-balancers"
  description        = "ECS shifts traffic between the service's target groups with it (blue/green, linear, canary)"
  assume_role_policy = data.aws_iam_policy_document.ecs_load_balancers_assume.json
}

resource "aws_iam_role_policy_attachment" "ecs_load_balancers" {
  count = local.progressive

  role       = aws_iam_role.ecs_load_balancers[0].name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"
}
