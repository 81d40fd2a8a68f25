# Shared settings for the project scripts (sourced, not executed).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
UV_VERSION="0.13.9"
export RASA_TELEMETRY_ENABLED=false
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
export TF_CPP_MIN_LOG_LEVEL=2
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
export PYTHONWARNINGS="${PYTHONWARNINGS:-ignore}"
export SQLALCHEMY_SILENCE_UBER_WARNING=1
MODEL="$ROOT/models/kripto-cs.tar.gz"
