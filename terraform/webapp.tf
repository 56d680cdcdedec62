# The webapp: a private bucket that only this CloudFront distribution can read
# (Origin Access Control), and the distribution in front of the bucket and the API.

#tfsec:ignore:aws-s3-enable-bucket-logging The bucket holds the public webapp bundle; CloudFront is the only reader
resource "aws_s3_bucket" "webapp" {
  #checkov:skip=CKV_AWS_18:The bucket holds the public webapp bundle and CloudFront is its only reader (cloudfront_access_logs logs the reads)
  #checkov:skip=CKV_AWS_144:The bundle is rebuilt from the repository by deploy frontend; a copy in a second region adds nothing
  #checkov:skip=CKV_AWS_145:The objects are the public webapp bundle; SSE-S3 encrypts them at rest without a CMK's cost and key policy
  #checkov:skip=CKV2_AWS_62:Nothing consumes events for new webapp objects
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
    # The whole bucket. An empty filter {} warns on every plan from provider
    # 5.90; an empty prefix is the form it accepts silently.
    filter {
      prefix = ""
    }

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
  # empctl's deploy records (release manifests, the deploy lock with its
  # owner) live under .empctl/ in the bucket; the site never serves them.
  statement {
    sid       = "CloudFrontNeverServesDeployRecords"
    effect    = "Deny"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.webapp.arn}/.empctl/*"]
    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
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

# Every viewer header, cookie and query string reaches the API (Authorization
# included), plus CloudFront-Viewer-Address: the viewer's own address and port,
# which CloudFront sets and a client cannot, so the server throttles logins on
# it rather than on X-Forwarded-For. A custom policy because the managed ones
# do not document that header together with all viewer headers. The viewer's
# Host is forwarded too, so with certificate_arn CloudFront checks the ALB's
# certificate against the viewer's host name (see the precondition in alb.tf).
resource "aws_cloudfront_origin_request_policy" "api" {
  name    = "${local.name}-api"
  comment = "All viewer headers, cookies and query strings, and the viewer address"

  headers_config {
    header_behavior = "allViewerAndWhitelistCloudFront"
    headers {
      items = ["CloudFront-Viewer-Address"]
    }
  }
  cookies_config {
    cookie_behavior = "all"
  }
  query_strings_config {
    query_string_behavior = "all"
  }
}

# CloudFront's way into the internal ALB: network interfaces it manages in the
# ALB's subnets. CloudFront refuses to change a VPC origin a distribution
# uses (CannotUpdateEntityWhileInUse), so the protocol is part of the key: a
# change creates a new origin, moves the distribution to it, then deletes the
# old one.
resource "aws_cloudfront_vpc_origin" "api" {
  for_each = toset([local.https ? "https" : "http"])

  vpc_origin_endpoint_config {
    name                   = "${local.name}-api-${each.key}"
    arn                    = aws_lb.this.arn
    http_port              = 80
    https_port             = 443
    origin_protocol_policy = "${each.key}-only"

    origin_ssl_protocols {
      items    = ["TLSv1.2"]
      quantity = 1
    }
  }

  # CloudFront needs an internet gateway attached to the VPC for VPC origins,
  # though their traffic never uses it.
  depends_on = [aws_internet_gateway.this]

  # Deploying takes up to 15 minutes.
  timeouts {
    create = "30m"
    update = "30m"
    delete = "30m"
  }
}

resource "aws_cloudfront_response_headers_policy" "security" {
  #checkov:skip=CKV_AWS_259:HSTS is on (1 year, subdomains, override); preload is left to the owner of a custom domain, since the preload list is hard to leave
  name    = "${local.name}-security-headers"
  comment = "Security headers on every response"

  security_headers_config {
    # Browsers go straight to HTTPS for a year. No preload: that list is
    # for the owner of a registrable domain to submit, and hard to leave.
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
    # The webapp's policy, as pkg/webassets/csp.go (its test compares them). No
    # override: the API sends its own, stricter one (default-src 'none').
    content_security_policy {
      content_security_policy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
      override                = false
    }
  }
}

locals {
  s3_origin_id  = "webapp-bucket"
  alb_origin_id = "api-alb"
}

#tfsec:ignore:aws-cloudfront-enable-waf A web ACL has a monthly cost; set cloudfront_web_acl_arn to attach one
#tfsec:ignore:aws-cloudfront-enable-logging Access logs are optional (cloudfront_access_logs) because S3 storage is billed; the API logs every request to CloudWatch
#tfsec:ignore:aws-cloudfront-use-secure-tls-policy TLSv1 is the only value the default cloudfront.net certificate accepts; with cloudfront_certificate_arn it is TLSv1.2_2021
resource "aws_cloudfront_distribution" "this" {
  #checkov:skip=CKV_AWS_86:Access logs are optional (cloudfront_access_logs) because S3 storage is billed; the API logs every request to CloudWatch
  #checkov:skip=CKV_AWS_174:TLSv1 is the only value the default cloudfront.net certificate accepts (CloudFront applies its own policy); with cloudfront_certificate_arn it is TLSv1.2_2021
  #checkov:skip=CKV2_AWS_42:The default cloudfront.net certificate is valid HTTPS; cloudfront_certificate_arn switches to an own domain
  #checkov:skip=CKV2_AWS_47:A web ACL has a monthly cost and is the operator's choice (cloudfront_web_acl_arn); its rules are configured where it is managed
  #checkov:skip=CKV_AWS_374:The app serves every country; a geo restriction is a business decision, not a default
  #checkov:skip=CKV_AWS_310:The bucket and the ALB are the only copies of their content; there is no second origin to fail over to
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
    origin_id = local.alb_origin_id
    # The ALB's internal name: CloudFront connects through the VPC origin and
    # sends the viewer's Host (see the origin request policy).
    domain_name = aws_lb.this.dns_name

    vpc_origin_config {
      vpc_origin_id = aws_cloudfront_vpc_origin.api[local.https ? "https" : "http"].id
      # Above the ALB's 60 s idle timeout is pointless; the API answers fast.
      origin_read_timeout = 30
    }
  }

  dynamic "logging_config" {
    for_each = var.cloudfront_access_logs ? [1] : []
    content {
      bucket          = aws_s3_bucket.logs[0].bucket_domain_name
      prefix          = "cloudfront/"
      include_cookies = false
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
    origin_request_policy_id   = aws_cloudfront_origin_request_policy.api.id
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
