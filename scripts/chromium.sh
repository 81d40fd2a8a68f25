#!/usr/bin/env bash
# Debian's Chromium (+ driver) for the web chat browser test; Playwright drives it, never a downloaded browser.
set -euo pipefail
[ -x /usr/bin/chromium ] && exit 0
echo "==> installing chromium and chromium-driver with apt-get (for tests/integration/test_webchat_browser.py)"
sudo=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then sudo="sudo"; fi
if ! { $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; }; then
  echo "ERROR: could not install Chromium with apt-get; the web chat browser test needs /usr/bin/chromium." >&2
  echo "       Install it as root (apt-get install -y chromium chromium-driver) and run the tests again." >&2
  exit 1
fi
