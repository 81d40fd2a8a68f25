#!/usr/bin/env bash
# Create .venv with Python 3.10 and install the locked dependencies in one step (when the lock changed).
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$ROOT"

is_py310() { "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' >/dev/null 2>&1; }

find_python() {
  local wanted candidates=()
  wanted="$(tr -d '[:space:]' < .python-version)"
  [ -n "${PYTHON:-}" ] && candidates+=("$PYTHON")
  if command -v pyenv >/dev/null 2>&1; then
    local root; root="$(pyenv root)"
    candidates+=("$root/versions/$wanted/bin/python")
    for dir in "$root"/versions/3.10.*; do candidates+=("$dir/bin/python"); done
  fi
  candidates+=("$HOME/.pyenv/versions/$wanted/bin/python" python3.10 /usr/bin/python3.10 /usr/local/bin/python3.10)
  for candidate in "${candidates[@]}"; do
    if command -v "$candidate" >/dev/null 2>&1 && is_py310 "$candidate"; then
      command -v "$candidate"; return 0
    fi
  done
  cat >&2 <<MSG
ERROR: Python 3.10 is required (Rasa 3.6 does not run on Python 3.11 or newer).
Install it, for example with 'pyenv install $wanted', or point PYTHON at a python3.10 binary:
    PYTHON=/path/to/python3.10 make run
MSG
  return 1
}

if [ ! -x "$PY" ] || ! is_py310 "$PY"; then
  base="$(find_python)"
  echo "==> creating .venv with $base"
  rm -rf "$VENV"
  "$base" -m venv "$VENV"
fi

stamp="$(cat requirements.lock pyproject.toml | sha256sum | cut -c1-16)"
if [ "$(cat "$VENV/.installed" 2>/dev/null)" != "$stamp" ]; then
  echo "==> installing locked dependencies (first run downloads several GB: Rasa, TensorFlow, PyTorch)"
  "$PY" -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
  "$VENV/bin/uv" pip sync --python "$PY" requirements.lock
  echo "$stamp" > "$VENV/.installed"
fi
