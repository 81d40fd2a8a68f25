"""Rasa's own checks: training data validates cleanly and the test stories pass."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.servers import ROOT, child_env

pytestmark = pytest.mark.integration
RASA = str(Path(sys.executable).parent / "rasa")


def test_rasa_data_validate_is_clean():
    result = subprocess.run([RASA, "data", "validate", "--fail-on-warnings"], cwd=ROOT, env=child_env(),
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_test_stories_pass(tmp_path):
    result = subprocess.run([RASA, "test", "core", "--stories", "tests/test_stories.yml",
                             "--model", "models/kripto-cs.tar.gz", "--out", str(tmp_path),
                             "--fail-on-prediction-errors"],
                            cwd=ROOT, env=child_env(), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    failed = (tmp_path / "failed_test_stories.yml").read_text()
    assert failed.strip() == "# None of the test stories failed - all good!", failed[:3000]
