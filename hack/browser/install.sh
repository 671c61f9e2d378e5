#!/usr/bin/env bash
# Installs what the browser tests (ui/browsertest) need: Debian's Chromium at
# /usr/bin/chromium (make browser). A second run finds it and does nothing; apt keeps the
# downloaded packages in its own cache. Needs root or sudo, like any Debian package.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  echo "browser: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "browser: no /usr/bin/chromium and no apt-get: install Chromium there by hand" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" != 0 ]; then sudo=sudo; fi
echo "browser: installing Debian's chromium (once; about a minute)"
# A fresh machine may have no package lists yet: read them once if the install cannot.
if ! $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; then
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
echo "browser: $(/usr/bin/chromium --version)"
