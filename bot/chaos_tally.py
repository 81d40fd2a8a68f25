"""Counting the results of a chaos test: what each message got, whether the tracker recorded it once, and
how long after the fault customers were answered properly again.

Pure bookkeeping (no I/O): the load generator records one :class:`Attempt` per message, the tracker's user
events are passed in, and :func:`tally` turns both into the numbers quoted in the closing note.
"""
from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, Mapping, Optional, Sequence, Set, Tuple

RETRYABLE_STATUSES = frozenset({502, 503, 504})

Key = Tuple[str, str]   # (conversation id, message text): each text is unique within its conversation


class Outcome(enum.Enum):
    """What the client got for one message."""

    ANSWERED = "answered"      # 200 with a real reply
    APOLOGY = "apology"        # 200 with the "please try again" apology (the customer is told to retry)
    RETRYABLE = "retryable"    # 502/503/504 or a refused/reset connection: the client is told to retry
    SILENT = "silent"          # 200 without any reply, or no answer at all (client timeout): a silent drop
    OTHER = "other"            # any other status or an unexpected reply (e.g. the flood limit's note)


@dataclass(frozen=True)
class Attempt:
    """One message sent and what came back."""

    conversation: str
    text: str
    sent_at: float                     # monotonic seconds
    done_at: float
    status: Optional[int]              # HTTP status; None when no HTTP answer came
    replies: Tuple[str, ...] = ()
    replica: str = ""                  # X-Assistant-Replica (HAProxy), "" when unknown
    error: str = ""                    # "connection" (refused/reset) or "timeout" when status is None

    @property
    def key(self) -> Key:
        return self.conversation, self.text


def classify(attempt: Attempt, apology: str, unexpected: Sequence[str] = ()) -> Outcome:
    """The outcome of ``attempt``; ``apology`` is the channel's retry-later text, ``unexpected`` replies
    (e.g. the flood limit's note) that mean the load itself is wrong."""
    if attempt.status is None:
        return Outcome.RETRYABLE if attempt.error == "connection" else Outcome.SILENT
    if attempt.status in RETRYABLE_STATUSES:
        return Outcome.RETRYABLE
    if attempt.status != 200:
        return Outcome.OTHER
    if not attempt.replies:
        return Outcome.SILENT
    if any(reply in unexpected for reply in attempt.replies):
        return Outcome.OTHER
    if apology in attempt.replies:
        return Outcome.APOLOGY
    return Outcome.ANSWERED


def recorded_counts(user_texts: Mapping[str, Iterable[str]]) -> Counter:
    """How often each (conversation, text) appears as a user event: conversation id -> its user texts."""
    return Counter((conversation, text) for conversation, texts in user_texts.items() for text in texts)


@dataclass
class Tally:
    """The numbers of one chaos case."""

    case: str
    sent: int = 0
    answered: int = 0
    apology: int = 0
    retryable: int = 0
    silent: int = 0
    other: int = 0
    duplicated: int = 0                # recorded more than once
    unrecorded: int = 0                # answered (200, real reply) but not in the tracker
    recorded_after_error: int = 0      # retryable/apology, yet recorded once: a retrying client would repeat it
    recovery_s: Optional[float] = None
    extra: Dict[str, object] = field(default_factory=dict)

    @property
    def lost(self) -> int:
        """Silent drops: no answer at all, an empty 200, or a real answer the tracker does not hold."""
        return self.silent + self.unrecorded

    @property
    def told_to_retry(self) -> int:
        return self.retryable + self.apology

    def line(self) -> str:
        """``chaos <case>: sent=.. answered=.. retryable=.. ...`` (one line, for the log and results.txt)."""
        recovery = "n/a" if self.recovery_s is None else f"{self.recovery_s:.1f}"
        fields = [f"sent={self.sent}", f"answered={self.answered}", f"retryable={self.retryable}",
                  f"apology={self.apology}", f"duplicated={self.duplicated}", f"lost={self.lost}",
                  f"recovery_s={recovery}", f"other={self.other}", f"recorded_after_error={self.recorded_after_error}"]
        fields += [f"{name}={value:.1f}" if isinstance(value, float) else f"{name}={value}"
                   for name, value in self.extra.items()]
        return f"chaos {self.case}: " + " ".join(fields)


def tally(case: str, attempts: Sequence[Attempt], recorded: Counter, apology: str,
          unexpected: Sequence[str] = ()) -> Tally:
    """Count ``attempts`` against ``recorded`` (see :func:`recorded_counts`)."""
    result = Tally(case, sent=len(attempts))
    for attempt in attempts:
        outcome = classify(attempt, apology, unexpected)
        setattr(result, outcome.value, getattr(result, outcome.value) + 1)
        times = recorded.get(attempt.key, 0)
        if times > 1:
            result.duplicated += 1
        if outcome is Outcome.ANSWERED and times == 0:
            result.unrecorded += 1
        if outcome in (Outcome.RETRYABLE, Outcome.APOLOGY) and times == 1:
            result.recorded_after_error += 1
    return result


def is_real_answer(apology: str) -> Callable[[Attempt], bool]:
    """A predicate: the attempt got a real answer (see :class:`Outcome`)."""
    return lambda attempt: classify(attempt, apology) is Outcome.ANSWERED


def is_recorded_answer(apology: str, recorded: Counter) -> Callable[[Attempt], bool]:
    """A predicate: a real answer, and the tracker holds the message exactly once."""
    return lambda attempt: classify(attempt, apology) is Outcome.ANSWERED and recorded.get(attempt.key, 0) == 1


def recovery_seconds(attempts: Sequence[Attempt], fault_at: float, conversations: Set[str],
                     good: Callable[[Attempt], bool], every: bool = False) -> Optional[float]:
    """Seconds from ``fault_at`` until the first ``good`` answer (``every``: until each of ``conversations``
    had one) to a message of ``conversations`` sent after the fault; None when that did not happen."""
    firsts: Dict[str, float] = {}
    for attempt in attempts:
        if attempt.conversation in conversations and attempt.sent_at >= fault_at and good(attempt):
            firsts[attempt.conversation] = min(firsts.get(attempt.conversation, attempt.done_at), attempt.done_at)
    if not firsts or (every and set(firsts) != set(conversations)):
        return None
    return round((max if every else min)(firsts.values()) - fault_at, 1)
