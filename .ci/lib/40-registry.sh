# Debian's docker-registry (CNCF distribution), which the image tests and
# `make bench` start themselves on free loopback ports (pkg/testenv). The
# package's own service (port 5000) is not wanted: stop and disable it.
apt_install docker-registry
if command -v systemctl >/dev/null 2>&1; then
  if systemctl is-enabled docker-registry >/dev/null 2>&1; then systemctl disable docker-registry >/dev/null 2>&1 || true; fi
  if systemctl is-active docker-registry >/dev/null 2>&1; then systemctl stop docker-registry >/dev/null 2>&1 || true; fi
fi
if [ -x /etc/init.d/docker-registry ] && /etc/init.d/docker-registry status >/dev/null 2>&1; then
  /etc/init.d/docker-registry stop >/dev/null 2>&1 || true
fi
echo "docker-registry: $(/usr/bin/docker-registry --version 2>&1 | sed -n 1p)"
