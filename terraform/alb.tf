# The API's load balancer: internal, in the private subnets. Only CloudFront
# reaches it, through the VPC origin in webapp.tf, so the API and /metrics
# cannot be called around the distribution and its settings.

locals {
  # null means "on for prod": the environment people care most about losing.
  alb_deletion_protection = coalesce(var.alb_deletion_protection, var.environment == "prod")
}

resource "aws_lb" "this" {
  #checkov:skip=CKV2_AWS_28:The ALB is internal; a web ACL (cloudfront_web_acl_arn) belongs on the distribution, its only entry point
  #checkov:skip=CKV_AWS_91:Access logs are optional (alb_access_logs) because S3 storage is billed; the server logs every request to CloudWatch
  #checkov:skip=CKV_AWS_150:Deletion protection is on for prod and set per environment (alb_deletion_protection); test environments must be destroyable
  name               = local.name
  load_balancer_type = "application"
  internal           = true
  subnets            = aws_subnet.private[*].id
  security_groups    = [aws_security_group.alb.id]

  drop_invalid_header_fields = true
  enable_deletion_protection = local.alb_deletion_protection
  # The server's idle timeout is longer than this, so the ALB never reuses a
  # connection the server has just closed.
  idle_timeout = 60

  dynamic "access_logs" {
    for_each = var.alb_access_logs ? [1] : []
    content {
      bucket  = aws_s3_bucket.logs[0].id
      prefix  = "alb"
      enabled = true
    }
  }

  depends_on = [aws_s3_bucket_policy.logs]
}

# The port the target group was created with. A later change of container_port
# would replace the target group while the running revision (which apply never
# changes: ignore_changes on the service's task_definition) still listens on
# the old port: /api/* would fail until the next deploy. So the target group
# refuses it unless allow_container_port_change says the outage is accepted;
# the guard then takes the new port, and with the flag back off the next
# change is refused again.
resource "terraform_data" "container_port" {
  input            = var.container_port
  triggers_replace = var.allow_container_port_change ? var.container_port : null

  lifecycle {
    ignore_changes = [input]
  }
}

# name_prefix with create_before_destroy: a change that replaces the group
# (container_port) creates the new one and moves the listener and the service
# to it before the old one goes; a fixed name would collide, and the old group
# cannot be deleted while a listener uses it.
resource "aws_lb_target_group" "app" {
  #checkov:skip=CKV_AWS_378:The ALB to task hop is HTTP inside the VPC, between two security groups that admit only each other
  name_prefix = "app-"
  target_type = "ip"
  port        = var.container_port
  protocol    = "HTTP"
  vpc_id      = aws_vpc.this.id

  # Stopping tasks return 503 on /readyz at once, so the ALB stops routing to
  # them within ~10 s; in-flight requests get 30 s to finish.
  deregistration_delay = 30

  health_check {
    path                = "/readyz"
    matcher             = "200"
    interval            = 5
    timeout             = 4
    healthy_threshold   = 2
    unhealthy_threshold = 2
  }

  tags = { Name = "${local.name}-app" }

  lifecycle {
    create_before_destroy = true

    precondition {
      condition     = var.allow_container_port_change || terraform_data.container_port.output == var.container_port
      error_message = "container_port changed after the first apply: the target group would be replaced while the running tasks keep listening on the old port, so /api/* would fail until the next deploy. To change it, in a quiet hour: set allow_container_port_change: true with the new port, run `empctl provision` (it replaces the target group and the service) and at once `empctl deploy backend` (its new revision listens on the new port), then set allow_container_port_change back to false and provision again. Or keep the old container_port."
    }
  }
}

# Without a certificate this listener serves the API to the VPC origin: the
# hop stays on AWS's network, and the ALB's security group admits CloudFront's
# VPC origins only (and alb_ingress_cidr_blocks).
#tfsec:ignore:aws-elb-http-not-used Plain HTTP only when no certificate_arn is given, between CloudFront's VPC origin and an internal ALB; viewers use HTTPS at CloudFront
resource "aws_lb_listener" "http" {
  #checkov:skip=CKV_AWS_2:Plain HTTP only without certificate_arn, between CloudFront's VPC origin and an internal ALB; with a certificate it redirects to HTTPS
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type             = local.https ? "redirect" : "forward"
    target_group_arn = local.https ? null : aws_lb_target_group.app.arn

    dynamic "redirect" {
      for_each = local.https ? [1] : []
      content {
        port        = "443"
        protocol    = "HTTPS"
        status_code = "HTTP_301"
      }
    }
  }

  lifecycle {
    precondition {
      condition     = !local.https || length(var.cloudfront_aliases) > 0
      error_message = "certificate_arn needs cloudfront_aliases: CloudFront forwards the viewer's Host to the ALB and checks the ALB's certificate against it, so the certificate must cover the distribution's own names (the *.cloudfront.net name cannot be covered)."
    }
  }
}

resource "aws_lb_listener" "https" {
  count = local.https ? 1 : 0

  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.app.arn
  }
}
