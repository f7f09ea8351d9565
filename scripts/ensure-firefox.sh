#!/usr/bin/env bash
# Make sure Debian's Firefox ESR is installed for the Firefox end-to-end tests
# (tests/e2e/test_firefox.py drives /usr/bin/firefox-esr over WebDriver BiDi;
# Playwright's own patched Firefox cannot be downloaded here).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -f manage.py ] || { echo "ensure-firefox.sh: run me from the Podlab checkout" >&2; exit 1; }

if [ -x /usr/bin/firefox-esr ]; then
    exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "==> Installing Debian's firefox-esr for the Firefox browser tests"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq firefox-esr >/dev/null
    exit 0
fi
echo "The Firefox browser tests need Firefox ESR at /usr/bin/firefox-esr." >&2
echo "Install it (Debian/Ubuntu: sudo apt-get install firefox-esr) and run make test again." >&2
exit 1
