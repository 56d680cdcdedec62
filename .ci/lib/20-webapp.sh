# Webapp tests (make -C webapp test): Node.js 20.19+ (the machine's), Debian's Chromium for
# Playwright (Playwright's own browser download cannot work here), fonts for legible
# screenshots, and the npm packages from the committed lock file.
node_ok=$(node -e 'const [a,b]=process.versions.node.split(".").map(Number);console.log(a>20||(a===20&&b>=19)?"yes":"no")' 2>/dev/null || echo no)
if [ "$node_ok" != yes ]; then
  echo "The webapp needs Node.js 20.19 or newer (Angular 21); found: $(node --version 2>/dev/null || echo none)." >&2
  echo "Install it (e.g. the nodejs package from NodeSource) and run .ci/run again." >&2
  exit 1
fi
apt_install chromium fonts-liberation
# npm ci only when node_modules is missing or older than the lock file (webapp/Makefile).
make -s -C webapp node_modules/.installed
