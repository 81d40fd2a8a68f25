"""The report being collected: values, their validation status, failed tries, and what to ask next."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional

from actions.reporting import details as d

# Slots that carry the form's bookkeeping (besides the detail slots themselves).
CHECKS = "report_checks"
FAILURES = "report_failures"
PENDING = "report_pending"
AMOUNT_CHOICES = "amount_choices"   # key in ``pending``: an ambiguous amount's readings, asked next
SECRETS = "report_secrets"
OUTCOME = "report_outcome"
PROCESSED = "report_processed"
BOOKKEEPING_SLOTS = (CHECKS, FAILURES, PENDING, SECRETS, OUTCOME, PROCESSED)
MAX_TRIES = 3


@dataclass
class ReportState:
    """Everything the form knows; built from slots and turned back into slot values."""

    values: Dict[str, Optional[str]] = field(default_factory=dict)
    checks: Dict[str, Dict[str, str]] = field(default_factory=dict)   # slot -> status, display, note
    failures: Dict[str, int] = field(default_factory=dict)
    pending: Dict[str, Optional[str]] = field(default_factory=dict)   # partial bank account
    secrets: List[str] = field(default_factory=list)
    outcome: Optional[str] = None                                     # "confirmed" | "cancelled"

    @classmethod
    def from_slots(cls, slots: Mapping[str, Any]) -> "ReportState":
        """Read the state from tracker slots (missing slots mean an empty report)."""
        return cls(values={s: slots.get(s) for s in d.FORM_SLOTS},
                   checks=dict(slots.get(CHECKS) or {}), failures=dict(slots.get(FAILURES) or {}),
                   pending=dict(slots.get(PENDING) or {}), secrets=list(slots.get(SECRETS) or []),
                   outcome=slots.get(OUTCOME))

    def to_slots(self) -> Dict[str, Any]:
        """Slot values representing this state."""
        slots: Dict[str, Any] = {s: self.values.get(s) for s in d.FORM_SLOTS}
        slots.update({CHECKS: self.checks, FAILURES: self.failures, PENDING: self.pending,
                      SECRETS: self.secrets, OUTCOME: self.outcome})
        return slots

    @property
    def problem(self) -> Optional[str]:
        return self.values.get(d.PROBLEM)

    @property
    def asset(self) -> Optional[str]:
        return self.values.get(d.ASSET) or None

    @property
    def network(self) -> Optional[str]:
        return self.values.get(d.NETWORK) or None

    def is_filled(self, slot: str) -> bool:
        """A detail counts as collected once it has a status (an unknown one included)."""
        return slot in self.checks and self.values.get(slot) is not None

    def set(self, slot: str, value: str, display: str, status: str, note: str = "") -> None:
        """Store a value with its validation status; a new value resets the failed tries."""
        self.values[slot] = value
        self.checks[slot] = {"status": status, "display": display, "note": note}
        self.failures.pop(slot, None)

    def clear(self, slot: str) -> None:
        """Forget a value (it will be asked again)."""
        self.values[slot] = None
        self.checks.pop(slot, None)

    def required(self) -> List[str]:
        """Details this report needs, given what is known so far."""
        return d.required_slots(self.problem, self.asset)

    def category(self) -> str:
        """Ticket category (``withdrawal_idr``...)."""
        return d.category(self.problem, self.asset)
