#!/usr/bin/env bash
# Debian packages the tests need, installed once with apt-get (never a downloaded browser):
# Chromium (+ driver) for the web chat browser test, which Playwright drives, and HAProxy for the
# two-replica topology and chaos tests, and promtool (package prometheus; its server is not started) for the
# example alert rules.
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium chromium-driver)
[ -x /usr/sbin/haproxy ] || missing+=(haproxy)
[ -x /usr/bin/promtool ] || missing+=(prometheus)   # promtool checks deploy/prometheus/alerts.yml
[ ${#missing[@]} -eq 0 ] && exit 0
echo "==> installing ${missing[*]} with apt-get (browser and load-balancer tests)"
sudo=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then sudo="sudo"; fi
if ! { $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; }; then
  echo "ERROR: could not install ${missing[*]} with apt-get; the browser and load-balancer tests need them." >&2
  echo "       Install them as root (apt-get install -y ${missing[*]}) and run the tests again." >&2
  exit 1
fi
