"""Shared test setup: project root on the path, no telemetry, offline model hubs, shared fixtures."""
from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

# Shared fixtures (ticket, handoff and privacy stores, fake notifier endpoints): any test asks for them by name.
pytest_plugins = ["tests.tickets.fixtures", "tests.handoff.fixtures", "tests.privacy.fixtures"]
