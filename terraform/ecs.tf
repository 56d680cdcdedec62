# The API server on Fargate, rolled out with zero downtime: ECS starts new tasks
# before stopping old ones, the ALB only routes to tasks whose /readyz answers,
# and a failed rollout rolls itself back.

resource "aws_ecs_cluster" "this" {
  name = local.name

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

#tfsec:ignore:aws-cloudwatch-log-group-customer-key The logs hold no secrets (the server never logs them); default encryption at rest applies
resource "aws_cloudwatch_log_group" "server" {
  #checkov:skip=CKV_AWS_158:The logs hold no secrets (the server never logs them); CloudWatch encrypts them at rest without a CMK's cost and key policy
  #checkov:skip=CKV_AWS_338:Retention is the operator's choice by cost and need (log_retention_days, 30 days by default)
  name              = "/ecs/${local.name}/server"
  retention_in_days = var.log_retention_days
}

resource "aws_ecs_task_definition" "server" {
  family                   = "${local.name}-server"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.task_cpu
  memory                   = var.task_memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  lifecycle {
    # Cross-variable validation blocks need Terraform 1.9; a precondition works from 1.2.
    precondition {
      condition = contains(lookup({
        256  = [512, 1024, 2048]
        512  = range(1024, 4097, 1024)
        1024 = range(2048, 8193, 1024)
        2048 = range(4096, 16385, 1024)
        4096 = range(8192, 30721, 1024)
      }, tostring(var.task_cpu), []), var.task_memory)
      error_message = "task_memory ${var.task_memory} is not a size Fargate offers with task_cpu ${var.task_cpu}: see the task_memory description in variables.tf."
    }
  }

  container_definitions = jsonencode([{
    name      = var.container_name
    image     = "${aws_ecr_repository.server.repository_url}:${var.image_tag}"
    essential = true

    portMappings = [{ containerPort = var.container_port, protocol = "tcp" }]

    environment = concat([
      { name = "PORT", value = tostring(var.container_port) },
      { name = "DB_HOST", value = aws_db_instance.this.address },
      { name = "DB_PORT", value = tostring(aws_db_instance.this.port) },
      { name = "DB_NAME", value = var.db_name },
      # The server reads the RDS-managed secret itself (task role) and reads
      # it again when MySQL refuses the password, so a rotation needs no
      # restart. No `secrets` injection: ECS would read it once, at start.
      { name = "DB_SECRET_ARN", value = aws_db_instance.this.master_user_secret[0].secret_arn },
      # The ALB's nodes connect from its subnets: the server honours
      # X-Forwarded-For from them only, not from every private address.
      { name = "TRUSTED_PROXIES", value = join(",", aws_subnet.private[*].cidr_block) },
      # Verifying the database's certificate needs the RDS CA bundle in the
      # image (db_tls_ca_file); without it the connection is still encrypted.
      { name = "DB_TLS", value = var.db_tls_ca_file == "" ? "required" : "verify" },
      # Counted per client address over every task, kept across deploys.
      { name = "SIGN_UPS_PER_HOUR", value = tostring(var.sign_ups_per_hour) },
      # Read once at start (task role); no `secrets` injection, which would
      # stop every task from starting while the secret has no value yet.
      { name = "OPERATOR_KEY_SECRET_ARN", value = aws_secretsmanager_secret.operator_key.arn },
      ], var.db_tls_ca_file == "" ? [] : [
      { name = "DB_TLS_CA", value = var.db_tls_ca_file },
    ])

    # SIGTERM starts the server's drain (2 s) and shutdown (20 s deadline);
    # SIGKILL must not come before both are over.
    stopTimeout = var.stop_timeout

    readonlyRootFilesystem = true

    logConfiguration = {
      logDriver = "awslogs"
      options = {
        "awslogs-group"         = aws_cloudwatch_log_group.server.name
        "awslogs-region"        = var.region
        "awslogs-stream-prefix" = "server"
      }
    }
  }])
}

resource "aws_ecs_service" "server" {
  name            = "server"
  cluster         = aws_ecs_cluster.this.id
  task_definition = aws_ecs_task_definition.server.arn
  desired_count   = var.desired_count
  launch_type     = "FARGATE"

  # Fargate places tasks across the subnets' zones; rebalancing keeps them
  # spread after a zone recovers.
  availability_zone_rebalancing = "ENABLED"

  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  health_check_grace_period_seconds  = var.health_check_grace_period

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = local.task_subnet_ids
    security_groups  = [aws_security_group.tasks.id]
    assign_public_ip = var.tasks_in_public_subnets
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.app.arn
    container_name   = var.container_name
    container_port   = var.container_port

    dynamic "advanced_configuration" {
      for_each = var.progressive_delivery ? [1] : []
      content {
        alternate_target_group_arn = aws_lb_target_group.alternate[0].arn
        production_listener_rule   = aws_lb_listener_rule.production[0].arn
        test_listener_rule         = aws_lb_listener_rule.test[0].arn
        role_arn                   = aws_iam_role.ecs_load_balancers[0].arn
      }
    }
  }

  lifecycle {
    # `empctl deploy backend` owns what runs: it registers each revision from
    # the family's latest ACTIVE one (which carries this module's changes to
    # CPU, memory, environment, stop timeout) and points the service at it;
    # apply must never undo a rollout. desired_count is set at creation and
    # then left to the deploy (the desired_count output), so a deploy that
    # scales the service is not undone either. deployment_configuration is
    # what empctl sets per deploy (strategy, bake times, lifecycle hooks), and
    # ECS swaps the target groups in load_balancer after each blue/green,
    # linear or canary deployment (progressive.tf; an apply that reset them
    # breaks the next deployment's alternation, terraform-provider-aws#45678).
    # So load_balancer is Terraform's at creation only, and a replaced target
    # group (container_port, with allow_container_port_change) replaces the
    # service with it.
    ignore_changes       = [task_definition, desired_count, deployment_configuration, load_balancer]
    replace_triggered_by = [aws_lb_target_group.app.id]
  }

  depends_on = [aws_lb_listener.http, aws_lb_listener.https, aws_iam_role_policy.execution, aws_iam_role_policy.task,
  aws_lb_listener_rule.production, aws_lb_listener_rule.test, aws_iam_role_policy_attachment.ecs_load_balancers]
}
