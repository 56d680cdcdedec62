# Images of the API server. Tags are immutable so a tag names one build forever,
# which is what makes a rollback to a tag exact.

#tfsec:ignore:aws-ecr-repository-customer-key AES-256 at rest is enough for an app image with no secrets; a CMK adds cost and key policy upkeep
resource "aws_ecr_repository" "server" {
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

resource "aws_ecr_lifecycle_policy" "server" {
  repository = aws_ecr_repository.server.name

  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Keep the last ${var.ecr_keep_images} images"
      selection = {
        tagStatus   = "any"
        countType   = "imageCountMoreThan"
        countNumber = var.ecr_keep_images
      }
      action = { type = "expire" }
    }]
  })
}
