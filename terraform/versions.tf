terraform {
  # 1.5 is the oldest release this module is tested with; OpenTofu reads it as well.
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 6.21 added the ECS service's linear and canary strategies (6.4: blue/green,
      # load_balancer.advanced_configuration). The lower bound is the release whose
      # schema `make lint` checks every block against (.ci/lib/32-tfschema.sh):
      # raise both together.
      version = ">= 6.25.0, < 7.0.0"
    }
    # The test route's header value (progressive.tf). 3.7.2 is the release
    # whose schema `make lint` checks against.
    random = {
      source  = "hashicorp/random"
      version = ">= 3.7.2, < 4.0.0"
    }
  }

  # State lives outside the repository. `empctl provision` points this local
  # backend at .empctl/<env>/terraform.tfstate so environments never share state.
  backend "local" {}

  # For a team, keep state in S3 instead: replace the block above with the one
  # below and give each environment its settings in empctl.yaml, e.g.
  #   backend: {bucket: my-tf-state, key: empctl/prod.tfstate, region: eu-west-1}
  #
  # backend "s3" {
  #   encrypt      = true
  #   use_lockfile = true # S3-native locking (Terraform >= 1.10); use dynamodb_table before that
  # }
}
