#!/usr/bin/env bash
# The baseline for `make bench`'s S3 deploy figures: the AWS CLI (PyPI awscli,
# v1; v2 is not on PyPI) in a venv of its own. Only the benchmark needs it, so
# .ci/run does not install it. Prints the path of the aws binary.
set -euo pipefail
venv="${EMPCTL_AWSCLI_VENV:-/opt/empctl/venv-awscli}"
version="1.46.2"
if [ "$(cat "$venv/.version" 2>/dev/null)" != "$version" ]; then
  echo "Installing awscli $version into $venv" >&2
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "awscli==$version" >&2
  echo "$version" >"$venv/.version"
fi
echo "$venv/bin/aws"
