#!/usr/bin/env bash
# Run the whole test suite: static checks first (ruff: lint and import order; mypy: types), then pytest
# (unit, data validation, test stories, integration with real servers). Settings in pyproject.toml.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$ROOT"
echo "==> ruff check"
"$VENV/bin/ruff" check nlu kb actions bot rasa_sdk_plugins tests bench
echo "==> mypy"
"$VENV/bin/mypy" nlu kb actions bot rasa_sdk_plugins
exec "$PY" -m pytest tests -p no:cacheprovider "$@"
