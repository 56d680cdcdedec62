# The AWS emulator for integration tests: moto's server (PyPI moto[server]) in a
# venv of its own. Tests start one per test on a free loopback port (pkg/testenv).
moto_venv="${EMPCTL_MOTO_VENV:-/opt/empctl/venv-moto}"
moto_version="5.2.5"

if [ "$(cat "$moto_venv/.version" 2>/dev/null)" != "$moto_version" ]; then
  echo "Installing moto[server] $moto_version into $moto_venv"
  rm -rf "$moto_venv"
  mkdir -p "$(dirname "$moto_venv")"
  python3 -m venv "$moto_venv"
  "$moto_venv/bin/pip" install -q --disable-pip-version-check "moto[server]==$moto_version"
  echo "$moto_version" >"$moto_venv/.version"
fi
export EMPCTL_MOTO_SERVER="$moto_venv/bin/moto_server"
echo "moto $moto_version: $EMPCTL_MOTO_SERVER"
