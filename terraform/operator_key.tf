# The operator key (server/README.md, "Operator allowance"): requests carrying
# it (empctl's rollout gate and verify-zero-downtime, run from a CI runner)
# count against one allowance for the environment instead of the limits of
# the runner's address. Terraform makes the secret only: `empctl provision`
# puts a random value in it the first time (GetRandomPassword), so the key is
# never in Terraform's state. The task role reads it at start
# (OPERATOR_KEY_SECRET_ARN); the deployer reads it for the gate and verify.
#tfsec:ignore:aws-ssm-secret-use-customer-key A random key that only changes the throttles' budget for its holder; Secrets Manager's AWS managed key encrypts it without a CMK's cost and key policy upkeep
resource "aws_secretsmanager_secret" "operator_key" {
  #checkov:skip=CKV_AWS_149:A random key that only changes the throttles' budget for its holder; the AWS managed key encrypts it without a CMK's cost and key policy upkeep
  #checkov:skip=CKV2_AWS_57:Rotation needs the running tasks replaced (they read the key at start); server/README.md says how to rotate it with a deploy
  name_prefix = "${local.name}-operator-key-"
  description = "empctl's operator key for ${local.name}: requests carrying it count against the operator allowance. The value is put by empctl provision, never by Terraform."
}
