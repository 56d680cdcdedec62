# Terraform and tfsec, for the provision/destroy tests and `make lint`.
# Terraform 1.5.7 is the last MPL-licensed release; it is built from source
# (about 3 minutes the first time, cached in $GOBIN afterwards). $GOBIN is first
# on PATH, so this build wins over any other terraform on the machine.
go_tool terraform github.com/hashicorp/terraform@v1.5.7
go_tool tfsec github.com/aquasecurity/tfsec/cmd/tfsec@v1.26.0

tf_version=$(terraform version | sed -n 1p)  # sed reads it all: head would SIGPIPE terraform under pipefail
if [ "$tf_version" != "Terraform v1.5.7" ]; then
  echo "terraform on PATH is '$tf_version' ($(command -v terraform)), expected Terraform v1.5.7 from \$GOBIN" >&2
  exit 1
fi
