# Credentials come from the standard AWS chain (environment, SSO, shared files,
# instance role); never put keys here. profile selects a named profile if set.
provider "aws" {
  region  = var.region
  profile = var.profile

  default_tags {
    tags = merge(var.tags, {
      Project     = var.project
      Environment = var.environment
      ManagedBy   = "empctl"
    })
  }
}
