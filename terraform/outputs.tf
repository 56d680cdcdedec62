# Everything empctl needs after provisioning; `empctl provision` saves these to
# .empctl/<env>/outputs.json for deploy, status, rollback and verify. None is
# secret but test_route_header_value, which is sensitive and so never saved.

output "region" {
  description = "AWS region of the environment."
  value       = var.region
}

output "cluster_name" {
  description = "ECS cluster name."
  value       = aws_ecs_cluster.this.name
}

output "service_name" {
  description = "ECS service running the API server."
  value       = aws_ecs_service.server.name
}

output "container_name" {
  description = "Name of the API server container in the task definition."
  value       = var.container_name
}

output "desired_count" {
  description = "Number of tasks the service should run (var.desired_count, as a string). Terraform sets it only when it creates the service; deploy backend applies it."
  value       = tostring(var.desired_count)
}

output "task_family" {
  description = "Task definition family; deploy registers new revisions in it."
  value       = aws_ecs_task_definition.server.family
}

output "ecr_repository_url" {
  description = "ECR repository URL for the API server image."
  value       = aws_ecr_repository.server.repository_url
}

output "target_group_arn" {
  description = "ALB target group of the service."
  value       = aws_lb_target_group.app.arn
}

output "alb_dns_name" {
  description = "DNS name of the internal ALB: it resolves to private addresses and answers only inside the VPC (alb_ingress_cidr_blocks). The app's address is cloudfront_domain_name."
  value       = aws_lb.this.dns_name
}

output "webapp_bucket" {
  description = "S3 bucket holding the webapp."
  value       = aws_s3_bucket.webapp.id
}

output "cloudfront_distribution_id" {
  description = "CloudFront distribution id (for invalidations)."
  value       = aws_cloudfront_distribution.this.id
}

output "cloudfront_domain_name" {
  description = "Domain name of the distribution: the app's URL."
  value       = aws_cloudfront_distribution.this.domain_name
}

output "db_endpoint" {
  description = "Database endpoint, host:port."
  value       = aws_db_instance.this.endpoint
}

output "db_secret_arn" {
  description = "ARN of the RDS-managed Secrets Manager secret with the database credentials (the ARN only, not the secret)."
  value       = aws_db_instance.this.master_user_secret[0].secret_arn
}

output "log_group_name" {
  description = "CloudWatch log group of the API server."
  value       = aws_cloudwatch_log_group.server.name
}

# Progressive delivery (progressive.tf); empty strings when progressive_delivery is off.

output "alternate_target_group_arn" {
  description = "Target group ECS registers a new revision in during a blue/green, linear or canary deployment (the groups swap roles afterwards)."
  value       = var.progressive_delivery ? aws_lb_target_group.alternate[0].arn : ""
}

output "production_listener_rule_arn" {
  description = "ALB listener rule ECS shifts production traffic with."
  value       = var.progressive_delivery ? aws_lb_listener_rule.production[0].arn : ""
}

output "test_listener_rule_arn" {
  description = "ALB listener rule that routes requests carrying the test header to the new revision before production traffic does."
  value       = var.progressive_delivery ? aws_lb_listener_rule.test[0].arn : ""
}

output "ecs_load_balancers_role_arn" {
  description = "ECS infrastructure role for load balancers (advancedConfiguration.roleArn)."
  value       = var.progressive_delivery ? aws_iam_role.ecs_load_balancers[0].arn : ""
}

output "test_route_header_name" {
  description = "Header that sends a request through the test listener rule; its value is test_route_header_value."
  value       = var.progressive_delivery ? local.test_route_header : ""
}

# Sensitive, so provision does not write it to outputs.json: empctl reads the
# value from the test rule itself (elasticloadbalancing:DescribeRules on
# test_listener_rule_arn, its http-header condition), which only an identity
# allowed to describe the ALB's rules can.
output "test_route_header_value" {
  description = "The test header's value, random per environment (sensitive: `terraform output -raw test_route_header_value`)."
  value       = var.progressive_delivery ? random_password.test_route[0].result : ""
  sensitive   = true
}

output "operator_key_secret_arn" {
  description = "ARN of the Secrets Manager secret holding the operator key (the ARN only; empctl provision puts the value, the gate and verify read it)."
  value       = aws_secretsmanager_secret.operator_key.arn
}

output "task_role_arn" {
  description = "ARN of the task role; the deployer passes it to ECS with each revision (empctl iam-policy scopes iam:PassRole to it)."
  value       = aws_iam_role.task.arn
}

output "execution_role_arn" {
  description = "ARN of the task execution role; the deployer passes it to ECS with each revision (empctl iam-policy scopes iam:PassRole to it)."
  value       = aws_iam_role.execution.arn
}
