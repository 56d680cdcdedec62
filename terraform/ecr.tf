# Images of the API server. Tags are immutable so a tag names one build forever,
# which is what makes a rollback to a tag exact.

#tfsec:ignore:aws-ecr-repository-customer-key AES-256 at rest is enough for an app image with no secrets; a CMK adds cost and key policy upkeep
resource "aws_ecr_repository" "server" {
  #checkov:skip=CKV_AWS_136:AES-256 at rest is enough for an app image with no secrets; a CMK adds cost and key policy upkeep
  name                 = "${local.name}-server"
  image_tag_mutability = "IMMUTABLE"
  # Like the bucket and the database, the images survive a destroy unless the
  # environment's vars say otherwise.
  force_delete = var.ecr_force_delete

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "AES256"
  }
}

# A multi-architecture release is one tagged image index plus one untagged
# manifest per platform. Counting every image ("any") would expire platform
# manifests of kept releases and keep far fewer releases than it says, so the
# one rule counts tagged releases only. Untagged manifests are never expired:
# no AWS documentation says a lifecycle rule spares a manifest that a kept
# index references, and expiring one would break the rollback to that release.
# What stays behind is each expired release's two platform manifests (a few KB;
# their layers, about 13 MB a release or $0.13 a month per 100 releases at
# $0.10/GB-month, stay referenced by them).
resource "aws_ecr_lifecycle_policy" "server" {
  repository = aws_ecr_repository.server.name

  policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "Keep the last ${var.ecr_keep_images} tagged releases"
        selection = {
          tagStatus      = "tagged"
          tagPatternList = ["*"]
          countType      = "imageCountMoreThan"
          countNumber    = var.ecr_keep_images
        }
        action = { type = "expire" }
      },
    ]
  })
}
