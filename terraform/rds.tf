# MySQL 8.0 in the private subnets, reachable only from the tasks. RDS creates
# the master password and keeps it in Secrets Manager: it never passes through
# Terraform, its state or empctl.

resource "aws_db_subnet_group" "this" {
  name       = local.name
  subnet_ids = aws_subnet.private[*].id
}

#tfsec:ignore:aws-rds-enable-performance-insights Not available on the small default instance classes; turn on for larger ones
resource "aws_db_instance" "this" {
  #checkov:skip=CKV_AWS_118:Enhanced monitoring needs a monitoring role and is billed as CloudWatch Logs; CloudWatch's standard RDS metrics and the exported error and slow-query logs cover this small instance
  identifier     = local.name
  engine         = "mysql"
  engine_version = "8.0"
  instance_class = var.db_instance_class

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
