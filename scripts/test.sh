#!/usr/bin/env bash
# Run the whole test suite (unit, data validation, test stories, integration with real servers).
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$ROOT"
exec "$PY" -m pytest tests -p no:cacheprovider "$@"
