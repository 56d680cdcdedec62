# General

variable "project" {
  description = "Short project name, the first part of every resource name."
  type        = string
  default     = "empctl"

  # RDS identifiers, ALB, target group and ECR repository names refuse a
  # trailing hyphen and two hyphens in a row.
  validation {
    condition     = length(var.project) >= 2 && length(var.project) <= 12 && can(regex("^[a-z][a-z0-9]*(-[a-z0-9]+)*$", var.project))
    error_message = "project must be 2-12 characters: lower-case letters, digits and single hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "environment" {
  description = "Environment name (empctl passes the --env value), the second part of every resource name."
  type        = string

  validation {
    condition     = length(var.environment) <= 15 && can(regex("^[a-z][a-z0-9]*(-[a-z0-9]+)*$", var.environment))
    error_message = "environment must be 1-15 characters: lower-case letters, digits and single hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "region" {
  description = "AWS region to deploy into, e.g. eu-west-1."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-west-1."
  }
}

variable "profile" {
  description = "Named AWS profile to use; null uses the default credential chain."
  type        = string
  default     = null
}

variable "tags" {
  description = "Extra tags added to every resource."
  type        = map(string)
  default     = {}
}

# Network

variable "vpc_cidr" {
  description = "CIDR block of the VPC; public and private subnets are carved from it."
  type        = string
  default     = "10.0.0.0/16"

  validation {
    condition     = strcontains(var.vpc_cidr, "/")
    error_message = "vpc_cidr needs a prefix length, e.g. 10.0.0.0/16 (it has no \"/\")."
  }
  validation {
    condition     = !strcontains(var.vpc_cidr, "/") || (can(cidrhost(var.vpc_cidr, 0)) && try(tonumber(split("/", var.vpc_cidr)[1]) <= 20, false))
    error_message = "vpc_cidr must be a valid IPv4 CIDR block of /20 or larger."
  }
}

variable "az_count" {
  description = "Number of availability zones to spread subnets, tasks and the database over."
  type        = number
  default     = 3

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 6 && floor(var.az_count) == var.az_count
    error_message = "az_count must be a whole number from 2 to 6 (the ALB and RDS need at least two zones)."
  }
}

# The zones CloudFront's developer guide lists as without VPC origins, in
# "Restrict access with VPC origins", "Supported AWS Regions for VPC origins":
# https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-vpc-origins.html
# Zone IDs, not names: us-east-1a is a different zone in each account.
variable "vpc_origin_unsupported_zone_ids" {
  description = "Availability zone IDs where CloudFront VPC origins are not supported; subnets are never placed there. The default is the list in CloudFront's developer guide (Supported AWS Regions for VPC origins); extend it if AWS adds one."
  type        = list(string)
  default     = ["use1-az3", "usw1-az2", "apne1-az3", "cac1-az3"]

  validation {
    condition     = alltrue([for z in var.vpc_origin_unsupported_zone_ids : can(regex("^[a-z]+[0-9]+-az[0-9]+$", z))])
    error_message = "vpc_origin_unsupported_zone_ids must hold availability zone IDs such as use1-az3 (not names such as us-east-1a)."
  }
}

variable "nat_gateway_mode" {
  description = "\"single\": one NAT gateway for all private subnets (~33 USD a month plus data; a zone outage there cuts every zone's tasks off from ECR, Secrets Manager and CloudWatch Logs unless vpc_interface_endpoints is on); \"per_az\": one per zone (survives a zone outage, ~33 USD a month each). Ignored when tasks_in_public_subnets is true."
  type        = string
  default     = "single"

  validation {
    condition     = contains(["single", "per_az"], var.nat_gateway_mode)
    error_message = "nat_gateway_mode must be \"single\" or \"per_az\"."
  }
}

variable "tasks_in_public_subnets" {
  description = "Cheaper mode: run tasks in the public subnets with public IPs and create no NAT gateway. Their security group still admits only the ALB."
  type        = bool
  default     = false
}

variable "vpc_interface_endpoints" {
  description = "Interface endpoints for ECR (api, dkr), CloudWatch Logs and Secrets Manager in every zone, so image pulls, logs and the database secret no longer depend on NAT. About 7.3 USD a month per endpoint and zone (4 x 3 zones: ~88 USD), plus data; a per-zone NAT gateway costs ~33 USD a month each."
  type        = bool
  default     = false
}

variable "vpc_flow_logs" {
  description = "Record the VPC's accepted and rejected traffic in CloudWatch Logs (billed per GB ingested)."
  type        = bool
  default     = false
}

# Load balancer

variable "certificate_arn" {
  description = "ACM certificate ARN (same region) covering cloudfront_aliases, for HTTPS between CloudFront and the ALB; empty keeps that hop on HTTP inside AWS's network (the VPC origin)."
  type        = string
  default     = ""

  validation {
    condition     = var.certificate_arn == "" || can(regex("^arn:aws[a-z-]*:acm:", var.certificate_arn))
    error_message = "certificate_arn must be empty or an ACM certificate ARN."
  }
}

variable "alb_ingress_cidr_blocks" {
  description = "Private CIDR blocks (inside the VPC or reached through peering or VPN) allowed to reach the internal ALB directly, e.g. for `verify-zero-downtime --target` from a bastion. CloudFront reaches it through the VPC origin regardless."
  type        = list(string)
  default     = []

  # Each block is one rule per listener port, against the security group's
  # quota of 60 inbound rules; 5 blocks stay far below it.
  validation {
    condition     = alltrue([for c in var.alb_ingress_cidr_blocks : strcontains(c, "/")])
    error_message = "Each of alb_ingress_cidr_blocks needs a prefix length, e.g. 10.8.0.0/16 or 10.8.1.7/32 for one address."
  }
  validation {
    condition = length(var.alb_ingress_cidr_blocks) <= 5 && alltrue([for c in var.alb_ingress_cidr_blocks : !strcontains(c, "/") || can(cidrhost(c, 0)) && try(
      (startswith(c, "10.") && tonumber(split("/", c)[1]) >= 8) ||
      (can(regex("^172\\.(1[6-9]|2[0-9]|3[01])\\.", c)) && tonumber(split("/", c)[1]) >= 12) ||
      (startswith(c, "192.168.") && tonumber(split("/", c)[1]) >= 16), false
    )])
    error_message = "alb_ingress_cidr_blocks must hold at most 5 private IPv4 CIDR blocks (inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16): the ALB is internal."
  }
}

variable "alb_deletion_protection" {
  description = "Protect the ALB from deletion; null (the default) turns it on for an environment named prod. Set to false and provision before `empctl destroy`."
  type        = bool
  default     = null
}

# Service

variable "allow_container_port_change" {
  description = "Accept the outage a container_port change causes (from the provision until the next `empctl deploy backend`); off, such a change is refused. Set it back to false afterwards."
  type        = bool
  default     = false
}

variable "progressive_delivery" {
  description = "Create the plumbing for `empctl deploy backend --strategy blue-green|canary|linear` (ECS's native strategies): an alternate target group, production and test listener rules on the ALB, and the ECS infrastructure role that shifts traffic between them. Off by default: nothing changes for rolling deploys, and the resources cost nothing, so turn it on before the first progressive deploy."
  type        = bool
  default     = false
}

variable "container_name" {
  description = "Name of the API server container in the task definition."
  type        = string
  default     = "server"

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,255}$", var.container_name))
    error_message = "container_name must be 1-255 letters, digits, hyphens or underscores."
  }
}

variable "container_port" {
  description = "Port the API server listens on (its PORT variable)."
  type        = number
  default     = 8080

  validation {
    condition     = var.container_port >= 1024 && var.container_port <= 65535 && floor(var.container_port) == var.container_port
    error_message = "container_port must be a whole number from 1024 to 65535 (the server runs without root)."
  }
}

variable "image_tag" {
  description = "Image tag of the first task definition. Later rollouts are done by `empctl deploy`, which Terraform never reverts."
  type        = string
  default     = "initial"

  validation {
    condition     = can(regex("^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$", var.image_tag))
    error_message = "image_tag must be a valid image tag: up to 128 letters, digits, underscores, periods and hyphens, not starting with a period or hyphen."
  }
}

variable "task_cpu" {
  description = "Fargate task CPU units."
  type        = number
  default     = 256

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096], var.task_cpu)
    error_message = "task_cpu must be one of 256, 512, 1024, 2048, 4096."
  }
}

variable "task_memory" {
  description = "Fargate task memory in MiB; must be a size Fargate offers for task_cpu (256: 512-2048; 512: 1024-4096; 1024: 2048-8192; 2048: 4096-16384; 4096: 8192-30720; in 1024 steps above 1024)."
  type        = number
  default     = 512

  validation {
    condition     = var.task_memory >= 512 && var.task_memory <= 30720
    error_message = "task_memory must be between 512 and 30720 MiB."
  }
}

variable "cpu_architecture" {
  description = "CPU architecture of the tasks: X86_64 or ARM64 (cheaper; the release builds both)."
  type        = string
  default     = "X86_64"

  validation {
    condition     = contains(["X86_64", "ARM64"], var.cpu_architecture)
    error_message = "cpu_architecture must be X86_64 or ARM64."
  }
}

variable "desired_count" {
  description = "Number of tasks; ECS spreads them over the zones."
  type        = number
  default     = 3

  validation {
    condition     = var.desired_count >= 1
    error_message = "desired_count must be at least 1."
  }
}

variable "health_check_grace_period" {
  description = "Seconds ECS ignores failing load balancer health checks of a new task (migrations run at start-up)."
  type        = number
  default     = 60

  validation {
    condition     = var.health_check_grace_period >= 1 && var.health_check_grace_period <= 3600
    error_message = "health_check_grace_period must be between 1 and 3600 seconds."
  }
}

variable "stop_timeout" {
  description = "Seconds ECS waits after SIGTERM before SIGKILL. Must exceed the server's drain delay plus shutdown deadline (2 s + 20 s by default)."
  type        = number
  default     = 30

  validation {
    condition     = var.stop_timeout > 22 && var.stop_timeout <= 120
    error_message = "stop_timeout must be above 22 s (the server's 2 s drain + 20 s shutdown deadline) and at most 120 s (the Fargate limit)."
  }
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the server's logs."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts, e.g. 7, 14, 30, 90, 365."
  }
}

variable "ecr_keep_images" {
  description = "Number of tagged releases the ECR lifecycle policy keeps. Untagged images (the platform manifests of multi-architecture releases) never expire: a kept release's index references them."
  type        = number
  default     = 30

  validation {
    condition     = var.ecr_keep_images >= 2 && var.ecr_keep_images <= 1000 && floor(var.ecr_keep_images) == var.ecr_keep_images
    error_message = "ecr_keep_images must be a whole number from 2 to 1000 (rollback needs the previous image)."
  }
}

variable "ecr_force_delete" {
  description = "Let `empctl destroy` delete the ECR repository with its images."
  type        = bool
  default     = false
}

# Database

variable "db_engine_version" {
  description = "MySQL major version: 8.4, the long-term-support release (the default), or 8.0 for an environment created with it (8.0 left standard support on 2026-07-31; moving a database from 8.0 to 8.4 is a major upgrade with downtime, done by AWS or by you in a maintenance window, not by this module)."
  type        = string
  default     = "8.4"

  validation {
    condition     = contains(["8.0", "8.4"], var.db_engine_version)
    error_message = "db_engine_version must be \"8.4\" or, for a database created with it, \"8.0\"."
  }
}

variable "db_instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.t4g.micro"

  validation {
    condition     = can(regex("^db\\.[a-z0-9]+\\.[a-z0-9]+$", var.db_instance_class))
    error_message = "db_instance_class must be an RDS instance class such as db.t4g.micro."
  }
}

variable "db_allocated_storage" {
  description = "Initial storage in GiB."
  type        = number
  default     = 20

  validation {
    condition     = var.db_allocated_storage >= 20 && var.db_allocated_storage <= 65536
    error_message = "db_allocated_storage must be between 20 and 65536 GiB (the gp3 limits for MySQL)."
  }
}

variable "db_max_allocated_storage" {
  description = "Upper limit in GiB for storage autoscaling."
  type        = number
  default     = 100

  validation {
    condition     = var.db_max_allocated_storage == 0 || (var.db_max_allocated_storage >= 20 && var.db_max_allocated_storage <= 65536)
    error_message = "db_max_allocated_storage must be 0 (no storage autoscaling) or between 20 and 65536 GiB, and not below db_allocated_storage."
  }
}

variable "db_name" {
  description = "Name of the application database."
  type        = string
  default     = "empctl"

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9_]{0,63}$", var.db_name))
    error_message = "db_name must start with a letter and contain only letters, digits and underscores."
  }
}

variable "db_username" {
  description = "Master user name; RDS generates and rotates its password in Secrets Manager."
  type        = string
  default     = "empctl"

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9_]{0,15}$", var.db_username)) && !contains(["rdsadmin", "root"], lower(var.db_username))
    error_message = "db_username must be 1-16 letters, digits or underscores, start with a letter, and not be a name RDS reserves (rdsadmin, root)."
  }
}

variable "db_secret_kms_key_arn" {
  description = "ARN of a customer managed KMS key for the RDS-managed database secret; empty uses Secrets Manager's AWS managed key. The task role may decrypt with it through Secrets Manager only."
  type        = string
  default     = ""

  validation {
    condition     = var.db_secret_kms_key_arn == "" || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.db_secret_kms_key_arn))
    error_message = "db_secret_kms_key_arn must be empty or a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "sign_ups_per_hour" {
  description = "Sign-ups the API accepts from one client address an hour (SIGN_UPS_PER_HOUR), counted over every task and kept across deploys. empctl's gate and verify-zero-downtime do not count against it: they send the operator key (see server/README.md, Operator allowance)."
  type        = number
  default     = 20

  validation {
    condition     = var.sign_ups_per_hour >= 1 && floor(var.sign_ups_per_hour) == var.sign_ups_per_hour
    error_message = "sign_ups_per_hour must be a whole number, at least 1."
  }
}

variable "db_tls_ca_file" {
  description = "Path inside the server image of the RDS CA bundle (global-bundle.pem), put there by empctl.yaml's image files, e.g. /etc/empctl/rds-global-bundle.pem. Set: the server verifies the database's certificate against it (DB_TLS=verify). Empty: TLS is required but the certificate is not checked (DB_TLS=required). Never a system trust store path (/etc/ssl/certs, /etc/pki/tls/certs, ...): a file there replaces the root certificates the server embeds, and it could no longer reach Secrets Manager. See server/README.md, Database TLS."
  type        = string
  default     = ""

  validation {
    condition = var.db_tls_ca_file == "" || (
      can(regex("^/[^[:space:]]*[^/[:space:]]$", var.db_tls_ca_file)) &&
      !can(regex("^/etc/(ssl/certs/|pki/tls/certs/|ssl/cert\\.pem$|ssl/ca-bundle\\.pem$|pki/tls/cacert\\.pem$|pki/ca-trust/extracted/pem/tls-ca-bundle\\.pem$)", var.db_tls_ca_file))
    )
    error_message = "db_tls_ca_file must be empty or the absolute path of a file in the server image, without spaces, outside the system trust store (/etc/ssl/certs/, /etc/pki/tls/certs/, /etc/ssl/cert.pem, ...), e.g. /etc/empctl/rds-global-bundle.pem."
  }
}

variable "db_multi_az" {
  description = "Run a standby database in a second zone."
  type        = bool
  default     = true
}

variable "db_backup_retention_days" {
  description = "Days of automated backups."
  type        = number
  default     = 7

  validation {
    condition     = var.db_backup_retention_days >= 1 && var.db_backup_retention_days <= 35
    error_message = "db_backup_retention_days must be between 1 and 35."
  }
}

variable "db_deletion_protection" {
  description = "Protect the database from deletion. Set to false and provision before `empctl destroy`."
  type        = bool
  default     = true
}

# Webapp

variable "webapp_force_destroy" {
  description = "Let `empctl destroy` delete the webapp bucket with its objects."
  type        = bool
  default     = false
}

variable "cloudfront_price_class" {
  description = "CloudFront price class."
  type        = string
  default     = "PriceClass_100"

  validation {
    condition     = contains(["PriceClass_100", "PriceClass_200", "PriceClass_All"], var.cloudfront_price_class)
    error_message = "cloudfront_price_class must be PriceClass_100, PriceClass_200 or PriceClass_All."
  }
}

variable "cloudfront_aliases" {
  description = "Custom domain names for the distribution; needs cloudfront_certificate_arn."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.cloudfront_aliases : can(regex("^(\\*\\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", a))])
    error_message = "cloudfront_aliases must contain lower-case DNS names such as app.example.com."
  }
}

variable "cloudfront_certificate_arn" {
  description = "ACM certificate ARN in us-east-1 covering cloudfront_aliases; empty uses the cloudfront.net certificate."
  type        = string
  default     = ""

  validation {
    condition     = var.cloudfront_certificate_arn == "" || can(regex("^arn:aws[a-z-]*:acm:us-east-1:[0-9]{12}:certificate/", var.cloudfront_certificate_arn))
    error_message = "cloudfront_certificate_arn must be empty or an ACM certificate ARN in us-east-1 (CloudFront only uses certificates from there)."
  }
}

variable "cloudfront_web_acl_arn" {
  description = "ARN of a WAFv2 web ACL (scope CLOUDFRONT, in us-east-1) to attach to the distribution; empty attaches none."
  type        = string
  default     = ""

  validation {
    condition     = var.cloudfront_web_acl_arn == "" || can(regex("^arn:aws[a-z-]*:wafv2:us-east-1:[0-9]{12}:global/webacl/", var.cloudfront_web_acl_arn))
    error_message = "cloudfront_web_acl_arn must be empty or the ARN of a WAFv2 web ACL with scope CLOUDFRONT (in us-east-1)."
  }
}

# Logs (off by default: each is billed by volume)

variable "alb_access_logs" {
  description = "Write the ALB's access logs to the environment's log bucket (S3 storage is billed)."
  type        = bool
  default     = false
}

variable "cloudfront_access_logs" {
  description = "Write CloudFront's standard access logs to the environment's log bucket (S3 storage is billed)."
  type        = bool
  default     = false
}

variable "log_bucket_force_destroy" {
  description = "Let `empctl destroy` delete the log bucket with its logs."
  type        = bool
  default     = false
}
