# Schemathesis, the property-based API tester that server/schemathesis_test.go
# runs against the real server, in a venv of its own with every dependency
# pinned (.ci/schemathesis-requirements.txt). A stamp of the requirements'
# hash says at once that this exact set is installed.
st_venv="${EMPCTL_SCHEMATHESIS_VENV:-/opt/empctl/venv-schemathesis}"
st_requirements=.ci/schemathesis-requirements.txt
st_stamp=$(sha256sum "$st_requirements" | cut -d' ' -f1)

if [ ! -x "$st_venv/bin/st" ] || [ "$(cat "$st_venv/.requirements" 2>/dev/null)" != "$st_stamp" ]; then
  apt_install python3 python3-venv
  echo "Installing Schemathesis ($st_requirements) into $st_venv (cached afterwards)"
  rm -rf "$st_venv"
  mkdir -p "$(dirname "$st_venv")"
  python3 -m venv "$st_venv"
  "$st_venv/bin/pip" install -q --disable-pip-version-check --no-deps -r "$st_requirements"
  "$st_venv/bin/st" --version >/dev/null # fails here, not in the test, if the install is broken
  echo "$st_stamp" >"$st_venv/.requirements"
fi
export EMPCTL_SCHEMATHESIS="$st_venv/bin/st"
echo "schemathesis $(sed -n 's/^schemathesis==//p' "$st_requirements"): $EMPCTL_SCHEMATHESIS"
