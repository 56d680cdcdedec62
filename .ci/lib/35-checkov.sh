# checkov, the second Terraform scanner `make lint` runs next to tfsec, in a
# venv of its own (its many pinned dependencies stay out of every other tool's
# way). Pinned; when that version is there, a stamp file says so at once
# (`checkov --version` alone takes seconds).
checkov_version=3.3.30
checkov_venv=/opt/empctl/venv-checkov
if [ ! -x "$checkov_venv/bin/checkov" ] || [ "$(cat "$checkov_venv/.version" 2>/dev/null)" != "$checkov_version" ]; then
  apt_install python3 python3-venv
  echo "Installing checkov $checkov_version into $checkov_venv (cached afterwards)"
  rm -rf "$checkov_venv"
  python3 -m venv "$checkov_venv"
  "$checkov_venv/bin/pip" install --quiet --disable-pip-version-check "checkov==$checkov_version"
  "$checkov_venv/bin/checkov" --version >/dev/null # fails here, not in make lint, if the install is broken
  echo "$checkov_version" >"$checkov_venv/.version"
fi
# `make lint` finds it here, or through CHECKOV if it lives elsewhere.
export CHECKOV="${CHECKOV:-$checkov_venv/bin/checkov}"
