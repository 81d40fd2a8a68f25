"""The incident machinery of one process (the action server): store, spike monitor and alert worker, built
once from the environment (``TICKETS_DB_URL`` / ``DATABASE_URL``, ``NOTIFIERS_CONFIG``, ``DESKS_CONFIG``,
``INCIDENT_*``)."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Optional

from bot.incidents.alerts import AlertWorker, alert_target_names, load_alert_senders
from bot.incidents.detection import SpikePolicy
from bot.incidents.monitor import SpikeMonitor
from bot.incidents.store import IncidentStore, open_incident_store


@dataclass(frozen=True)
class IncidentRuntime:
    """What the hooks in the actions use."""

    store: IncidentStore
    monitor: SpikeMonitor
    worker: AlertWorker


_runtime: Optional[IncidentRuntime] = None
_lock = threading.Lock()


def incident_runtime() -> IncidentRuntime:
    """This process's runtime; the first call connects (and migrates) the database and starts the worker
    delivering queued alerts. Raises while the database is unreachable (the next call tries again)."""
    global _runtime
    with _lock:
        if _runtime is None:
            store = open_incident_store()
            targets = alert_target_names()
            worker = AlertWorker(store, load_alert_senders())
            worker.start()
            _runtime = IncidentRuntime(store, SpikeMonitor(store, SpikePolicy.from_env(), lambda: targets), worker)
        return _runtime
