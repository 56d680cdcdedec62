# The public entry point for the API. CloudFront sends /api/* here.

#tfsec:ignore:aws-elb-alb-not-public CloudFront's origin must be internet-facing; its security group admits only CloudFront and the listed CIDR blocks
resource "aws_lb" "this" {
  name               = local.name
  load_balancer_type = "application"
  internal           = false
  subnets            = aws_subnet.public[*].id
  security_groups    = [aws_security_group.alb.id]

  drop_invalid_header_fields = true
  # The server's idle timeout is longer than this, so the ALB never reuses a
  # connection the server has just closed.
  idle_timeout = 60
}

resource "aws_lb_target_group" "app" {
  name        = local.name
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
}

# Without a certificate this listener serves the API: only CloudFront (which
# terminates HTTPS for viewers) and the listed CIDR blocks can reach it.
#tfsec:ignore:aws-elb-http-not-used Plain HTTP only when no certificate_arn is given; viewers use HTTPS at CloudFront
resource "aws_lb_listener" "http" {
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
      condition     = !local.https || var.alb_domain_name != ""
      error_message = "certificate_arn needs alb_domain_name: the DNS name in the certificate that points at the ALB, so CloudFront can reach it over HTTPS."
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
