# Provider schemas for `make lint`'s schema check (cmd/tfschema-lint): the AWS
# provider binary cannot be downloaded here, so `terraform validate` cannot run;
# the prebuilt CDKTF bindings on npm carry each provider version's schema in
# their jsii assembly (package/.jsii). Each package here holds the provider
# version that terraform/versions.tf pins as its lower bound (`npm view
# @cdktf/provider-aws@X cdktf` names it); bump both together. Cached: a stamp
# file lists the packages fetched, and nothing is fetched while it matches.
tfschema_dir=/opt/empctl/tfschema
tfschema_packages="aws=@cdktf/provider-aws@21.22.1 random=@cdktf/provider-random@12.0.1" # aws 6.25.0, random 3.7.2
if [ "$(cat "$tfschema_dir/.packages" 2>/dev/null)" != "$tfschema_packages" ]; then
  command -v npm >/dev/null || apt_install npm
  echo "Fetching provider schemas ($tfschema_packages) into $tfschema_dir (cached afterwards)"
  tfschema_tmp=$(mktemp -d)
  rm -rf "$tfschema_dir" && mkdir -p "$tfschema_dir"
  for p in $tfschema_packages; do
    (cd "$tfschema_tmp" && npm pack --silent "${p#*=}" >pack.out && tar -xzf "$(cat pack.out)" package/.jsii && mv package/.jsii "$tfschema_dir/${p%%=*}.jsii" && rm -f "$(cat pack.out)")
  done
  rm -rf "$tfschema_tmp"
  echo "$tfschema_packages" >"$tfschema_dir/.packages"
fi
export TFSCHEMA_DIR="$tfschema_dir"
