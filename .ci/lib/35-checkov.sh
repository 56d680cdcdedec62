# checkov, the second Terraform scanner `make lint` runs next to tfsec, in a
# venv of its own (its many pinned dependencies stay out of every other tool's
# way). Pinned; a second run only checks the version and returns.
checkov_version=3.3.30
checkov_venv=/opt/empctl/venv-checkov
if [ "$("$checkov_venv/bin/checkov" --version 2>/dev/null)" != "$checkov_version" ]; then
  apt_install python3 python3-venv
  echo "Installing checkov $checkov_version into $checkov_venv (cached afterwards)"
  rm -rf "$checkov_venv"
  python3 -m venv "$checkov_venv"
  "$checkov_venv/bin/pip" install --quiet --disable-pip-version-check "checkov==$checkov_version"
fi
# `make lint` finds it here, or through CHECKOV if it lives elsewhere.
export CHECKOV="${CHECKOV:-$checkov_venv/bin/checkov}"
