# Optional access logs of the ALB and CloudFront (alb_access_logs,
# cloudfront_access_logs) and VPC flow logs (vpc_flow_logs): off by default,
# since each is billed by volume and the server already logs every request.

locals {
  log_bucket = var.alb_access_logs || var.cloudfront_access_logs
}

#tfsec:ignore:aws-s3-enable-bucket-logging This is the log bucket; logging it into itself would loop
#tfsec:ignore:aws-s3-enable-versioning Logs are written once and expire; versions would only keep deleted logs longer
resource "aws_s3_bucket" "logs" {
  #checkov:skip=CKV_AWS_18:This is the log bucket; logging it into itself would loop
  #checkov:skip=CKV_AWS_21:Logs are written once and expire; versions would only keep deleted logs longer
  #checkov:skip=CKV_AWS_144:Access logs do not need a copy in a second region
  #checkov:skip=CKV_AWS_145:ALB access logs can only be delivered to a bucket encrypted with SSE-S3
  #checkov:skip=CKV2_AWS_62:Nothing consumes events for new log objects
  count = local.log_bucket ? 1 : 0

  bucket_prefix = "${local.name}-logs-"
  force_destroy = var.log_bucket_force_destroy
}

resource "aws_s3_bucket_public_access_block" "logs" {
  count = local.log_bucket ? 1 : 0

  bucket                  = aws_s3_bucket.logs[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# CloudFront's standard logs are delivered under an ACL grant, so ACLs stay
# enabled; objects uploaded by others still belong to the bucket owner.
resource "aws_s3_bucket_ownership_controls" "logs" {
  #checkov:skip=CKV2_AWS_65:CloudFront's standard logs are delivered under an ACL grant, which needs ACLs enabled; public ACLs stay blocked
  count = local.log_bucket ? 1 : 0

  bucket = aws_s3_bucket.logs[0].id
  rule {
    object_ownership = "BucketOwnerPreferred"
  }
}

#tfsec:ignore:aws-s3-encryption-customer-key ALB access logs can only be delivered to a bucket encrypted with SSE-S3
resource "aws_s3_bucket_server_side_encryption_configuration" "logs" {
  count = local.log_bucket ? 1 : 0

  bucket = aws_s3_bucket.logs[0].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "logs" {
  count = local.log_bucket ? 1 : 0

  bucket = aws_s3_bucket.logs[0].id
  rule {
    id     = "expire-logs"
    status = "Enabled"
    filter {
      prefix = ""
    }
    expiration {
      days = var.log_retention_days
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

# Regions from before August 2022 deliver ALB logs from a regional ELB
# account, later ones through the log-delivery service principal, which the
# policy always admits. aws_elb_service_account fails the plan in a region
# missing from its table, so it is read only in these: the provider's
# accountIDPerRegionMap (internal/service/elb/service_account_data_source.go,
# unchanged from 5.x to 6.25), which matches the account list in "Enable access
# logs for your Application Load Balancer" of the ELB user guide.
locals {
  elb_account_regions = [
    "af-south-1", "ap-east-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1",
    "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ca-central-1", "cn-north-1", "cn-northwest-1",
    "eu-central-1", "eu-north-1", "eu-south-1", "eu-west-1", "eu-west-2", "eu-west-3", "me-south-1",
    "sa-east-1", "us-east-1", "us-east-2", "us-gov-east-1", "us-gov-west-1", "us-west-1", "us-west-2",
  ]
  elb_account = var.alb_access_logs && contains(local.elb_account_regions, var.region)
}

data "aws_elb_service_account" "this" {
  count = local.elb_account ? 1 : 0
}

data "aws_iam_policy_document" "logs_bucket" {
  count = local.log_bucket ? 1 : 0

  dynamic "statement" {
    for_each = local.elb_account ? [1] : []
    content {
      sid       = "AlbAccessLogs"
      actions   = ["s3:PutObject"]
      resources = ["${aws_s3_bucket.logs[0].arn}/alb/AWSLogs/${data.aws_caller_identity.current.account_id}/*"]
      principals {
        type        = "AWS"
        identifiers = [data.aws_elb_service_account.this[0].arn]
      }
    }
  }
  dynamic "statement" {
    for_each = var.alb_access_logs ? [1] : []
    content {
      sid       = "AlbAccessLogsDelivery"
      actions   = ["s3:PutObject"]
      resources = ["${aws_s3_bucket.logs[0].arn}/alb/AWSLogs/${data.aws_caller_identity.current.account_id}/*"]
      principals {
        type        = "Service"
        identifiers = ["logdelivery.elasticloadbalancing.amazonaws.com"]
      }
    }
  }
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.logs[0].arn,
      "${aws_s3_bucket.logs[0].arn}/*",
    ]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "logs" {
  count = local.log_bucket ? 1 : 0

  bucket = aws_s3_bucket.logs[0].id
  policy = data.aws_iam_policy_document.logs_bucket[0].json

  depends_on = [aws_s3_bucket_public_access_block.logs]
}

# VPC flow logs

#tfsec:ignore:aws-cloudwatch-log-group-customer-key Flow logs hold addresses and ports, no secrets; default encryption at rest applies
resource "aws_cloudwatch_log_group" "flow_logs" {
  #checkov:skip=CKV_AWS_158:Flow logs hold addresses and ports, no secrets; CloudWatch encrypts them at rest without a CMK's cost and key policy
  #checkov:skip=CKV_AWS_338:Retention follows log_retention_days, which the operator sets by cost and need
  count = var.vpc_flow_logs ? 1 : 0

  name              = "/vpc/${local.name}/flow-logs"
  retention_in_days = var.log_retention_days
}

data "aws_iam_policy_document" "flow_logs_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["vpc-flow-logs.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "flow_logs" {
  count = var.vpc_flow_logs ? 1 : 0

  name               = "${local.name}-flow-logs"
  assume_role_policy = data.aws_iam_policy_document.flow_logs_assume.json
}

data "aws_iam_policy_document" "flow_logs" {
  count = var.vpc_flow_logs ? 1 : 0

  statement {
    actions = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    #tfsec:ignore:aws-iam-no-policy-wildcards Log stream names are only known at run time; this covers this group's streams only
    resources = ["${aws_cloudwatch_log_group.flow_logs[0].arn}:*"]
  }
}

resource "aws_iam_role_policy" "flow_logs" {
  count = var.vpc_flow_logs ? 1 : 0

  name   = "flow-logs"
  role   = aws_iam_role.flow_logs[0].id
  policy = data.aws_iam_policy_document.flow_logs[0].json
}

resource "aws_flow_log" "this" {
  count = var.vpc_flow_logs ? 1 : 0

  vpc_id          = aws_vpc.this.id
  traffic_type    = "ALL"
  log_destination = aws_cloudwatch_log_group.flow_logs[0].arn
  iam_role_arn    = aws_iam_role.flow_logs[0].arn
}
