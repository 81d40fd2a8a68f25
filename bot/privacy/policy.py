"""The retention policy: how long each kind of personal data is kept (``PRIVACY_*`` settings).

| setting | default | what goes once it is older |
| --- | --- | --- |
| ``PRIVACY_TRACKER_DAYS`` | 90 | Rasa tracker events (the conversation as Rasa stored it) |
| ``PRIVACY_ANALYTICS_TEXT_DAYS`` | 90 | free text in analytics events (the rows and every metric stay) |
| ``PRIVACY_INCIDENT_DAYS`` | 90 | incident observations, notice views, spike examples |
| ``PRIVACY_TICKET_DAYS`` | 365 | closed tickets' personal fields, transcript, handoff messages and CSAT comment |
| ``PRIVACY_CHANNEL_STATE_DAYS`` | 30 | channels' replay / dedupe keys and issued buttons |

``PRIVACY_PURGE_BATCH`` (5000) is how many rows one purge transaction deletes or rewrites at most, and
``PRIVACY_PURGE_PAUSE`` (0 seconds) how long the purge waits between batches, so a purge next to a busy
assistant never holds a table for long. A day count of 0 is refused: it would erase live conversations.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Dict, Mapping, Optional

SETTINGS = {  # field -> (environment variable, default)
    "tracker_days": ("PRIVACY_TRACKER_DAYS", 90),
    "analytics_text_days": ("PRIVACY_ANALYTICS_TEXT_DAYS", 90),
    "incident_days": ("PRIVACY_INCIDENT_DAYS", 90),
    "ticket_days": ("PRIVACY_TICKET_DAYS", 365),
    "channel_state_days": ("PRIVACY_CHANNEL_STATE_DAYS", 30),
    "batch_size": ("PRIVACY_PURGE_BATCH", 5000),
}
PAUSE_SETTING = "PRIVACY_PURGE_PAUSE"


@dataclass(frozen=True)
class RetentionPolicy:
    """Days each kind of data is kept, and how the purge paces itself."""

    tracker_days: int = 90
    analytics_text_days: int = 90
    incident_days: int = 90
    ticket_days: int = 365
    channel_state_days: int = 30
    batch_size: int = 5000
    pause_seconds: float = 0.0

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if field.name != "pause_seconds" and value < 1:
                raise ValueError(f"{field.name} must be at least 1; got {value}")
        if self.pause_seconds < 0:
            raise ValueError(f"pause_seconds must not be negative; got {self.pause_seconds}")

    @classmethod
    def from_env(cls, environ: Optional[Mapping[str, str]] = None) -> "RetentionPolicy":
        """The policy of the ``PRIVACY_*`` settings (defaults for the unset ones)."""
        env = os.environ if environ is None else environ
        values: Dict[str, object] = {}
        for name, (variable, default) in SETTINGS.items():
            raw = env.get(variable, "").strip()
            try:
                values[name] = int(raw) if raw else default
            except ValueError:
                raise ValueError(f"{variable} must be a whole number; got {raw!r}") from None
        raw_pause = env.get(PAUSE_SETTING, "").strip()
        try:
            values["pause_seconds"] = float(raw_pause) if raw_pause else 0.0
        except ValueError:
            raise ValueError(f"{PAUSE_SETTING} must be a number of seconds; got {raw_pause!r}") from None
        return cls(**values)  # type: ignore[arg-type]

    def cutoffs(self, now: datetime) -> "Cutoffs":
        """What is older than which moment, as of ``now`` (aware)."""
        if now.utcoffset() is None:
            raise ValueError("now must be timezone-aware")
        return Cutoffs(tracker=now - timedelta(days=self.tracker_days),
                       analytics_text=now - timedelta(days=self.analytics_text_days),
                       incidents=now - timedelta(days=self.incident_days),
                       tickets=now - timedelta(days=self.ticket_days),
                       channel_state=now - timedelta(days=self.channel_state_days))


@dataclass(frozen=True)
class Cutoffs:
    """Data from before these moments is purged."""

    tracker: datetime
    analytics_text: datetime
    incidents: datetime
    tickets: datetime
    channel_state: datetime
