# The webapp: a private bucket that only this CloudFront distribution can read
# (Origin Access Control), and the distribution in front of the bucket and the API.

#tfsec:ignore:aws-s3-enable-bucket-logging The bucket holds the public webapp bundle; CloudFront is the only reader
resource "aws_s3_bucket" "webapp" {
  bucket_prefix = "${local.name}-webapp-"
  force_destroy = var.webapp_force_destroy
}

resource "aws_s3_bucket_public_access_block" "webapp" {
  bucket = aws_s3_bucket.webapp.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "webapp" {
  bucket = aws_s3_bucket.webapp.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "webapp" {
  bucket = aws_s3_bucket.webapp.id

  versioning_configuration {
    status = "Enabled"
  }
}

#tfsec:ignore:aws-s3-encryption-customer-key The objects are the public webapp bundle; SSE-S3 encrypts them at rest without a CMK's cost and key policy
resource "aws_s3_bucket_server_side_encryption_configuration" "webapp" {
  bucket = aws_s3_bucket.webapp.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

# Old versions exist for rollbacks of the webapp, not forever.
resource "aws_s3_bucket_lifecycle_configuration" "webapp" {
  bucket = aws_s3_bucket.webapp.id

  rule {
    id     = "expire-old-versions"
    status = "Enabled"
    filter {}

    noncurrent_version_expiration {
      noncurrent_days           = 30
      newer_noncurrent_versions = 10
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.webapp]
}

data "aws_iam_policy_document" "webapp_bucket" {
  statement {
    sid       = "CloudFrontReadsThroughOAC"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.webapp.arn}/*"]
    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "AWS:SourceArn"
      values   = [aws_cloudfront_distribution.this.arn]
    }
  }
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.webapp.arn,
      "${aws_s3_bucket.webapp.arn}/*",
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

resource "aws_s3_bucket_policy" "webapp" {
  bucket = aws_s3_bucket.webapp.id
  policy = data.aws_iam_policy_document.webapp_bucket.json

  depends_on = [aws_s3_bucket_public_access_block.webapp]
}

resource "aws_cloudfront_origin_access_control" "webapp" {
  name                              = "${local.name}-webapp"
  description                       = "CloudFront reads the webapp bucket"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

# SPA routing: a path without a file extension is an app route, served by
# index.html. Only the bucket's behaviour runs it, so the API's own 404s reach
# the client unchanged.
resource "aws_cloudfront_function" "spa_routing" {
  name    = "${local.name}-spa-routing"
  runtime = "cloudfront-js-2.0"
  comment = "Serve index.html for app routes"
  publish = true
  code    = file("${path.module}/functions/spa-routing.js")
}

data "aws_cloudfront_cache_policy" "caching_optimized" {
  name = "Managed-CachingOptimized"
}

data "aws_cloudfront_cache_policy" "caching_disabled" {
  name = "Managed-CachingDisabled"
}

# Every viewer header, cookie and query string reaches the API, except Host:
# CloudFront then sends the ALB origin's own name, which the HTTPS origin needs
# (CloudFront checks the origin's certificate against the Host it sends, and
# the ALB's certificate covers alb_domain_name, not the viewer's host name).
# The server does not route or sign by Host, so it loses nothing.
data "aws_cloudfront_origin_request_policy" "all_viewer_except_host" {
  name = "Managed-AllViewerExceptHostHeader"
}

resource "aws_cloudfront_response_headers_policy" "security" {
  name    = "${local.name}-security-headers"
  comment = "Security headers on every response"

  security_headers_config {
    strict_transport_security {
      access_control_max_age_sec = 31536000
      include_subdomains         = true
      preload                    = false
      override                   = true
    }
    content_type_options {
      override = true
    }
    frame_options {
      frame_option = "DENY"
      override     = true
    }
    referrer_policy {
      referrer_policy = "strict-origin-when-cross-origin"
      override        = true
    }
    xss_protection {
      protection = true
      mode_block = true
      override   = true
    }
  }
}

locals {
  s3_origin_id  = "webapp-bucket"
  alb_origin_id = "api-alb"
}

#tfsec:ignore:aws-cloudfront-enable-waf A web ACL has a monthly cost; set cloudfront_web_acl_arn to attach one
#tfsec:ignore:aws-cloudfront-enable-logging Access logs need a separate log bucket; the API's own logs are in CloudWatch
#tfsec:ignore:aws-cloudfront-use-secure-tls-policy TLSv1 is the only value the default cloudfront.net certificate accepts; with cloudfront_certificate_arn it is TLSv1.2_2021
resource "aws_cloudfront_distribution" "this" {
  enabled             = true
  is_ipv6_enabled     = true
  http_version        = "http2and3"
  comment             = local.name
  default_root_object = "index.html"
  price_class         = var.cloudfront_price_class
  aliases             = var.cloudfront_aliases
  web_acl_id          = var.cloudfront_web_acl_arn == "" ? null : var.cloudfront_web_acl_arn

  origin {
    origin_id                = local.s3_origin_id
    domain_name              = aws_s3_bucket.webapp.bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.webapp.id
  }

  origin {
    origin_id   = local.alb_origin_id
    domain_name = local.https ? var.alb_domain_name : aws_lb.this.dns_name

    custom_origin_config {
      http_port              = 80
      https_port             = 443
      origin_protocol_policy = local.https ? "https-only" : "http-only"
      origin_ssl_protocols   = ["TLSv1.2"]
      # Above the ALB's 60 s idle timeout is pointless; the API answers fast.
      origin_read_timeout = 30
    }
  }

  default_cache_behavior {
    target_origin_id           = local.s3_origin_id
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD", "OPTIONS"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = data.aws_cloudfront_cache_policy.caching_optimized.id
    response_headers_policy_id = aws_cloudfront_response_headers_policy.security.id

    function_association {
      event_type   = "viewer-request"
      function_arn = aws_cloudfront_function.spa_routing.arn
    }
  }

  ordered_cache_behavior {
    path_pattern               = "/api/*"
    target_origin_id           = local.alb_origin_id
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = data.aws_cloudfront_cache_policy.caching_disabled.id
    origin_request_policy_id   = data.aws_cloudfront_origin_request_policy.all_viewer_except_host.id
    response_headers_policy_id = aws_cloudfront_response_headers_policy.security.id
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = var.cloudfront_certificate_arn == ""
    acm_certificate_arn            = var.cloudfront_certificate_arn == "" ? null : var.cloudfront_certificate_arn
    ssl_support_method             = var.cloudfront_certificate_arn == "" ? null : "sni-only"
    # The API refuses any other value with the default *.cloudfront.net
    # certificate, whose policy CloudFront fixes itself; own names get TLS 1.2+.
    minimum_protocol_version = var.cloudfront_certificate_arn == "" ? "TLSv1" : "TLSv1.2_2021"
  }

  lifecycle {
    precondition {
      condition     = length(var.cloudfront_aliases) == 0 || var.cloudfront_certificate_arn != ""
      error_message = "cloudfront_aliases needs cloudfront_certificate_arn: an ACM certificate in us-east-1 covering those names."
    }
  }
}
