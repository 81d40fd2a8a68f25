#!/usr/bin/env bash
# Build the knowledge-base index and train the Rasa model when their inputs changed.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$ROOT"
mkdir -p models var

"$PY" -m kb check || echo "WARNING: kb check found problems in kb/articles (listed above); make test fails on them" >&2
"$PY" -m kb build
"$PY" -m kb export-nlu >/dev/null

fingerprint="$(cat config.yml domain.yml $(find data nlu -type f \( -name '*.yml' -o -name '*.py' \) | sort) \
  | sha256sum | cut -c1-16)"
if [ -f "$MODEL" ] && [ "$(cat models/.fingerprint 2>/dev/null)" = "$fingerprint" ]; then
  echo "rasa model up to date ($MODEL)"
  exit 0
fi
echo "==> training the Rasa model (a few minutes; log in var/train.log)"
if ! "$VENV/bin/rasa" train --fixed-model-name kripto-cs --out models --force > var/train.log 2>&1; then
  tail -n 40 var/train.log >&2
  echo "ERROR: training failed, see var/train.log" >&2
  exit 1
fi
echo "$fingerprint" > models/.fingerprint
echo "rasa model trained ($MODEL)"
