#!/usr/bin/env bash
# The browser tests drive Debian's Chromium (no browser download works here): install it
# when missing and we are root; otherwise say exactly what to do.
set -euo pipefail
CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "Installing Debian's chromium for the browser tests…"
  DEBIAN_FRONTEND=noninteractive apt-get install -y chromium >/dev/null \
    || { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium >/dev/null; }
  [ -x "$CHROMIUM" ] && exit 0
fi
echo "Chromium is missing at $CHROMIUM and cannot be installed as this user." >&2
echo "Install it with: sudo apt-get install -y chromium   (or set CHROMIUM_PATH)" >&2
exit 1
