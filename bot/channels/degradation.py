"""A channel's degraded state: why it is degraded (shown by its health check), one log line per distinct
problem and one when it recovers, with credentials scrubbed from everything shown or logged.

A platform that is unreachable, refuses the credentials or answers something unexpected never takes the
server down: the channel reports the problem here, keeps retrying in the background, and clears it on the
next success.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, Iterable, Optional, Set

OK, DEGRADED = "ok", "degraded"
HIDDEN = "<token>"


def describe(error: BaseException) -> str:
    """``"TypeName: message"`` of an exception (just the name when the message is empty)."""
    message = str(error).strip()
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


class ChannelState:
    """Whether a channel works, and if not, why (the last problem seen)."""

    def __init__(self, channel: str, logger: logging.Logger, secrets: Iterable[str] = ()) -> None:
        self.channel = channel
        self._logger = logger
        self._secrets = [secret for secret in secrets if secret]
        self._logged: Set[str] = set()   # problems already logged since the last recovery
        self.problem: Optional[str] = None

    def scrub(self, text: str) -> str:
        """``text`` with every credential replaced (the Bot API puts the token in some error messages)."""
        for secret in self._secrets:
            text = text.replace(secret, HIDDEN)
        return text

    def degrade(self, problem: str, hint: str = "") -> None:
        """Mark the channel degraded by ``problem``; logged once until the channel recovers."""
        problem = self.scrub(problem)
        self.problem = problem
        if problem not in self._logged:
            self._logged.add(problem)
            self._logger.error("%s channel degraded: %s%s", self.channel, problem, f"; {hint}" if hint else "")

    def recover(self) -> None:
        """The platform answered properly again: clear the problem (logged once)."""
        if self.problem is not None:
            self._logger.info("%s channel recovered (was: %s)", self.channel, self.problem)
        self.problem = None
        self._logged.clear()

    @property
    def degraded(self) -> bool:
        return self.problem is not None

    def status(self, **details: Any) -> Dict[str, Any]:
        """The channel's health: ``{"status": "ok" | "degraded", **details, "problem": ...}``."""
        body: Dict[str, Any] = {"status": DEGRADED if self.problem else OK, **details}
        if self.problem:
            body["problem"] = self.problem
        return body
