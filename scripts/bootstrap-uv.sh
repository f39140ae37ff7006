#!/usr/bin/env bash
# Install uv (from PyPI) into .tools/ so `make` works on a fresh Debian with only Python 3.11.
set -euo pipefail
UV_VERSION="0.13.8"
if [ -x .tools/bin/uv ] && .tools/bin/uv --version | grep -q "$UV_VERSION"; then
  exit 0
fi
if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c "import ensurepip" >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "Installing python3-venv (Debian ships Python without venv support)…"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
  else
    echo "error: python3 cannot create virtual environments; run: sudo apt-get install python3-venv" >&2
    exit 1
  fi
fi
rm -rf .tools
python3 -m venv .tools
.tools/bin/pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
