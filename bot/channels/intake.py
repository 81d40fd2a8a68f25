"""Where every channel hands over a customer message: flood limit, then the handoff gate, then the cap on Rasa.

``intake(on_new_message, when_busy)`` is what REST, socket.io, Telegram and WhatsApp call instead of Rasa's
``on_new_message``. The composed handler, outermost first:

1. **Flood limit** (:class:`~bot.limits.flood.FloodLimiter`, per channel and sender): over
   ``FLOOD_MESSAGES_PER_MINUTE`` in a rolling minute, a message does no work at all — no NLU, no
   handoff database lookup, nothing forwarded to an agent. The sender gets one polite "slow down" reply
   per minute (and, when a dropped message carried a secret, the secrets warning, also once a minute;
   the secret itself was already redacted at entry). It sits *before* the gate on purpose: a flood while
   an agent holds the conversation would otherwise hit the ticket database and spam the agent's desk
   with forwarded messages; the only thing the gate adds for a dropped message, the secrets warning, is
   sent here instead.
2. **Handoff gate** (:class:`~bot.handoff.gate.HandoffGate`): conversations held by an agent never reach
   the bot.
3. **Concurrency cap** (:class:`~bot.limits.capacity.ConcurrencyCap`) around Rasa only, so overload of
   the bot never delays messages on their way to a human agent: at most ``MAX_CONCURRENT_MESSAGES`` in
   Rasa at once, the others wait in line. What happens when the line is too long depends on the channel
   (:class:`WhenBusy`).

The handler returns True when Rasa did not see the message on purpose (flood limit or gate), so channels
do not add their "something went wrong" apology to a deliberate silence.
"""
from __future__ import annotations

import asyncio
import enum
import logging
import os
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, Hashable, List, Mapping, Optional

from rasa.core.channels.channel import UserMessage

from bot import wording
from bot.analytics import live_metrics
from bot.channels.privacy_note import PrivacyNotes
from bot.handoff.gate import HandoffGate
from bot.handoff.runtime import gate
from bot.health import DEGRADED, OK, health
from bot.limits.capacity import Admission, ConcurrencyCap, Overloaded
from bot.limits.flood import Clock, FloodLimiter
from bot.retrying import Backoff
from bot.tracker_outage import TrackerStoreUnavailable
from bot.wording import secret_warning

logger = logging.getLogger(__name__)

REFUSAL_LOG_SECONDS = 10.0
STORE_RETRY_MAX_DELAY = 10.0   # seconds between tries of a message whose conversation could not be read
STORE_RETRY = Backoff(first=1.0, cap=STORE_RETRY_MAX_DELAY)

Handler = Callable[[UserMessage], Awaitable[Any]]
IntakeHandler = Callable[[UserMessage], Awaitable[bool]]


class WhenBusy(enum.Enum):
    """What a channel does with a message that finds Rasa at its cap."""

    REFUSE = "refuse"      # REST: wait briefly in the bounded line, then raise Overloaded (HTTP 503 + Retry-After)
    SAY_BUSY = "say_busy"  # socket.io: same line, then a polite "busy, try again shortly" bot message
    WAIT = "wait"          # Telegram/WhatsApp: the update is already acknowledged and cannot be retried by the
                           # platform, so it always joins the line (each chat adds at most one: their per-chat
                           # queues serialise) and waits long; only then the busy message


@dataclass(frozen=True)
class IntakeSettings:
    """Limits, from the environment (0 turns the flood limit or the cap off)."""

    messages_per_minute: int = 20      # FLOOD_MESSAGES_PER_MINUTE
    max_concurrent: int = 16           # MAX_CONCURRENT_MESSAGES
    max_queued: int = 64               # MAX_QUEUED_MESSAGES (REST and socket.io messages waiting at most)
    max_queue_wait: float = 15.0       # MAX_QUEUE_WAIT_SECONDS (REST and socket.io)
    background_wait: float = 300.0     # MAX_BACKGROUND_WAIT_SECONDS (Telegram and WhatsApp)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "IntakeSettings":
        default = cls()
        return cls(messages_per_minute=int(_number(environ, "FLOOD_MESSAGES_PER_MINUTE", default.messages_per_minute)),
                   max_concurrent=int(_number(environ, "MAX_CONCURRENT_MESSAGES", default.max_concurrent)),
                   max_queued=int(_number(environ, "MAX_QUEUED_MESSAGES", default.max_queued)),
                   max_queue_wait=_number(environ, "MAX_QUEUE_WAIT_SECONDS", default.max_queue_wait),
                   background_wait=_number(environ, "MAX_BACKGROUND_WAIT_SECONDS", default.background_wait))


def _number(environ: Mapping[str, str], name: str, default: float) -> float:
    """A non-negative number from ``environ[name]``; the default (with a warning) when it is not one."""
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value < 0 or value != value:   # negative or NaN
        logger.warning("%s=%r is not a non-negative number; using %s", name, raw, default)
        return default
    return value


def sender_key(message: UserMessage) -> Hashable:
    """Whose messages are counted together: one conversation on one channel."""
    return (message.input_channel or "", message.sender_id)


class MessageIntake:
    """The flood limiter and the concurrency cap of this process, and the handlers built on them."""

    def __init__(self, settings: IntakeSettings, clock: Clock = time.monotonic) -> None:
        self.settings = settings
        self._clock = clock
        self._refusal_logged_at: Optional[float] = None
        self.limiter = FloodLimiter(settings.messages_per_minute, clock=clock) \
            if settings.messages_per_minute >= 1 else None
        self.cap = ConcurrencyCap(settings.max_concurrent, settings.max_queued, clock=clock) \
            if settings.max_concurrent >= 1 else None
        self.notes = PrivacyNotes()   # "your KTP/card number was not kept", once per customer

    def wrap(self, on_new_message: Handler, handoff_gate: HandoffGate, when_busy: WhenBusy) -> IntakeHandler:
        """``on_new_message`` behind the flood limit, the gate and the cap (see the module docstring), counted
        and timed for ``/metrics`` (:mod:`bot.analytics.live_metrics`); a message whose KTP or card number was
        masked at entry is preceded by a short note, once per customer (:mod:`bot.channels.privacy_note`)."""
        return live_metrics.track(self._flood_limited(self.notes.wrap(handoff_gate.wrap(
            self._retried(self._capped(on_new_message, when_busy), when_busy)))))

    def _flood_limited(self, handler: IntakeHandler) -> IntakeHandler:
        limiter = self.limiter
        if limiter is None:
            return handler

        async def limited(message: UserMessage) -> bool:
            key = sender_key(message)
            if limiter.allow(key):
                return await handler(message)
            live_metrics.note_route(live_metrics.FLOOD_LIMITED)
            for text in self._refusal_notices(limiter, key, message):
                await message.output_channel.send_text_message(message.sender_id, text)
            return True

        return limited

    def _refusal_notices(self, limiter: FloodLimiter, key: Hashable, message: UserMessage) -> List[str]:
        """What a dropped message is answered with: the secrets warning and the slow-down note, each at most
        once a minute (usually nothing: every reply to a flood would be a flood too)."""
        notices: List[str] = []
        secrets = [str(kind) for kind in (message.metadata or {}).get("redacted_secrets") or []]
        if secrets and limiter.notice_due(key, "secret"):
            notices += secret_warning(secrets)
        if limiter.notice_due(key, "slow_down"):
            logger.warning("flood limit: %s on %s sent over %d messages a minute; further ones are dropped",
                           message.sender_id, message.input_channel, limiter.limit)
            notices.append(wording.FLOOD_SLOW_DOWN)
        return notices

    def _capped(self, on_new_message: Handler, when_busy: WhenBusy) -> Handler:
        cap = self.cap
        if cap is None:
            return on_new_message
        admission = (Admission(bounded=False, max_wait=self.settings.background_wait) if when_busy is WhenBusy.WAIT
                     else Admission(bounded=True, max_wait=self.settings.max_queue_wait))

        async def capped(message: UserMessage) -> Any:
            try:
                await cap.acquire(admission)
            except Overloaded:
                live_metrics.note_route(live_metrics.BUSY)
                self._log_refusal(cap)
                if when_busy is WhenBusy.REFUSE:
                    raise
                await message.output_channel.send_text_message(message.sender_id, wording.BUSY)
                return None
            try:
                return await on_new_message(message)
            finally:
                cap.release()

        return capped

    def _retried(self, handler: Handler, when_busy: WhenBusy) -> Handler:
        """Telegram and WhatsApp (already acknowledged): a message refused because the conversation could not
        be read (:class:`~bot.tracker_outage.TrackerStoreUnavailable`) is tried again with backoff for up to
        ``MAX_BACKGROUND_WAIT_SECONDS``; REST and socket.io pass the refusal on (503 / a "try again" note)."""
        if when_busy is not WhenBusy.WAIT:
            return handler

        async def retried(message: UserMessage) -> Any:
            deadline, waits = self._clock() + self.settings.background_wait, STORE_RETRY.schedule()
            while True:
                try:
                    return await handler(message)
                except TrackerStoreUnavailable:
                    delay = waits.next()
                    if self._clock() + delay > deadline:
                        raise
                    await asyncio.sleep(delay)
        return retried

    def _log_refusal(self, cap: ConcurrencyCap) -> None:
        """One log line per ``REFUSAL_LOG_SECONDS`` at most: an overload must not flood the logs too."""
        now = self._clock()
        if self._refusal_logged_at is None or now - self._refusal_logged_at >= REFUSAL_LOG_SECONDS:
            self._refusal_logged_at = now
            logger.warning("capacity: refusing messages (%d in Rasa, %d waiting; %d refused since start)",
                           cap.in_flight, cap.queued, cap.rejected)

    def status(self) -> Dict[str, Any]:
        """The health view: ``degraded`` while the cap is refusing messages."""
        result: Dict[str, Any] = {"status": OK}
        if self.limiter is not None:
            result.update(messages_per_minute=self.limiter.limit, senders_tracked=self.limiter.tracked,
                          flood_dropped=self.limiter.refused)
        if self.cap is not None:
            result.update(self.cap.status())
            if self.cap.rejecting():
                result["status"] = DEGRADED
        return result


_shared: Optional[MessageIntake] = None


def shared_intake() -> MessageIntake:
    """The process-wide limiter and cap (settings read once, on first use), registered as health part
    ``flood``."""
    global _shared
    if _shared is None:
        _shared = MessageIntake(IntakeSettings.from_env())
        health.register("flood", _shared.status)
        settings = _shared.settings
        logger.info("intake: %s messages a minute per customer, %s in Rasa at once, %s waiting at most",
                    settings.messages_per_minute or "unlimited", settings.max_concurrent or "unlimited",
                    settings.max_queued)
    return _shared


def intake(on_new_message: Handler, when_busy: WhenBusy) -> IntakeHandler:
    """A channel's handler for customer messages: flood limit, handoff gate and concurrency cap."""
    return shared_intake().wrap(on_new_message, gate, when_busy)
