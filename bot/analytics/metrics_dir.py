"""Where the Rasa server's Prometheus counters live: ``PROMETHEUS_MULTIPROC_DIR``.

prometheus_client's multiprocess mode keeps each process's counters in memory-mapped files in this folder,
and ``/metrics`` adds up the files of every process, so the numbers are right whichever Sanic worker
answers a scrape and survive a worker that exits. prometheus_client picks the mode once, when it is first
imported, so the folder must be in the environment before that: ``bot.servers`` gives each run its own
(emptied at the start of the run), and ``python -m bot.rasa_runtime`` started any other way (the Docker
image) makes a fresh temporary one. Nothing here imports prometheus_client, on purpose.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import MutableMapping, Optional

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def fresh_metrics_dir(path: Path) -> Path:
    """Create ``path`` empty (a previous run's counters must not be added to this run's)."""
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def metrics_dir(environ: MutableMapping[str, str] = os.environ) -> Optional[Path]:
    """The multiprocess folder of this process, if one is configured."""
    raw = environ.get(MULTIPROC_ENV, "").strip()
    return Path(raw) if raw else None


def ensure_metrics_dir(environ: MutableMapping[str, str] = os.environ) -> Path:
    """The configured folder (created when missing), else a new temporary one, set in ``environ``."""
    path = metrics_dir(environ)
    if path is None:
        path = Path(tempfile.mkdtemp(prefix="kriptocs-metrics-"))
    path.mkdir(parents=True, exist_ok=True)
    environ[MULTIPROC_ENV] = str(path)
    return path
