# Shared helpers for the .ci scripts.

apt_updated=""
# apt_install PKG...: installs Debian packages that are not installed yet.
apt_install() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ -z "$apt_updated" ]; then apt-get update -qq; apt_updated=1; fi
  echo "Installing Debian packages: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# go_tool BIN MODULE@VERSION: installs a Go tool into $GOBIN unless that version is there.
go_tool() {
  local bin=$1 mod=$2 stamp
  stamp="$GOBIN/.$bin.version"
  if [ -x "$GOBIN/$bin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$mod" ]; then return 0; fi
  echo "Installing $mod (go install; cached afterwards)"
  GOFLAGS= go install "$mod"
  echo "$mod" >"$stamp"
}
