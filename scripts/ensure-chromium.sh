#!/usr/bin/env bash
# Make sure Debian's Chromium is installed for the browser tests (Playwright drives
# /usr/bin/chromium; `playwright install` cannot download browsers here).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -f manage.py ] || { echo "ensure-chromium.sh: run me from the Podlab checkout" >&2; exit 1; }

if [ -x /usr/bin/chromium ]; then
    exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "==> Installing Debian's chromium for the browser tests"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    exit 0
fi
echo "The browser tests need Chromium at /usr/bin/chromium." >&2
echo "Install it (Debian/Ubuntu: sudo apt-get install chromium) and run make test again." >&2
exit 1
