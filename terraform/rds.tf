# MySQL 8.4 (the LTS release) in the private subnets, reachable only from the
# tasks. RDS creates the master password and keeps it in Secrets Manager: it
# never passes through Terraform, its state or empctl.

resource "aws_db_subnet_group" "this" {
  name       = local.name
  subnet_ids = aws_subnet.private[*].id
}

# The slow-query log that the instance exports to CloudWatch Logs stays empty
# unless a parameter group turns it on (RDS's default group has it off), and
# RDS exports it only when it is written to a file. All three are dynamic: on
# an existing instance they apply once it has rebooted onto this group.
resource "aws_db_parameter_group" "this" {
  name_prefix = "${local.name}-"
  family      = "mysql${var.db_engine_version}"
  description = "empctl ${local.name}: slow-query log on, TLS only"

  parameter {
    name  = "slow_query_log"
    value = "1"
  }
  parameter {
    name  = "long_query_time"
    value = "1"
  }
  parameter {
    name  = "log_output"
    value = "FILE"
  }
  # The server always connects with TLS (DB_TLS=required or verify).
  parameter {
    name  = "require_secure_transport"
    value = "1"
  }

  lifecycle {
    create_before_destroy = true
  }
}

#tfsec:ignore:aws-rds-enable-performance-insights Not available on the small default instance classes; turn on for larger ones
resource "aws_db_instance" "this" {
  #checkov:skip=CKV_AWS_118:Enhanced monitoring needs a monitoring role and is billed as CloudWatch Logs; CloudWatch's standard RDS metrics and the exported error and slow-query logs (turned on by aws_db_parameter_group.this) cover this small instance
  identifier     = local.name
  engine         = "mysql"
  engine_version = var.db_engine_version
  # Explicit: created through the API, RDS enrolls a major version in paid
  # Extended Support by default once its standard support ends. Disabled, RDS
  # upgrades it to the next major version instead (announced months ahead).
  engine_lifecycle_support = "open-source-rds-extended-support-disabled"
  parameter_group_name     = aws_db_parameter_group.this.name
  instance_class           = var.db_instance_class

  allocated_storage     = var.db_allocated_storage
  max_allocated_storage = var.db_max_allocated_storage
  storage_type          = "gp3"
  storage_encrypted     = true

  db_name                       = var.db_name
  username                      = var.db_username
  manage_master_user_password   = true
  master_user_secret_kms_key_id = var.db_secret_kms_key_arn == "" ? null : var.db_secret_kms_key_arn

  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = [aws_security_group.db.id]
  publicly_accessible    = false
  multi_az               = var.db_multi_az

  iam_database_authentication_enabled = true
  auto_minor_version_upgrade          = true
  backup_retention_period             = var.db_backup_retention_days
  backup_window                       = "03:00-04:00"
  maintenance_window                  = "sun:04:30-sun:05:30"
  copy_tags_to_snapshot               = true
  enabled_cloudwatch_logs_exports     = ["error", "slowquery"]

  deletion_protection = var.db_deletion_protection
  skip_final_snapshot = false
  # Unique per database: a later environment of the same name, destroyed in
  # turn, does not collide with the first one's snapshot. Fixed at creation
  # (ignore_changes), so plans show no diff.
  final_snapshot_identifier = "${local.name}-final-${formatdate("YYYYMMDDhhmmss", timestamp())}"

  lifecycle {
    ignore_changes = [final_snapshot_identifier]

    precondition {
      condition     = var.db_max_allocated_storage == 0 || var.db_max_allocated_storage >= var.db_allocated_storage
      error_message = "db_max_allocated_storage must be 0 (no autoscaling) or at least db_allocated_storage."
    }
  }
}
