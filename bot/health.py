"""One health view of every part of a running assistant, served at ``GET /health`` on the Rasa server.

Each part registers a check when it starts (channels from their blueprints, the live handoff from
``AgentDesks``); :func:`report` runs them all with a time limit. A part's check returns a dict with a
``status`` of ``ok``, ``degraded`` (working partly: shown, logged, retried in the background),
``disabled`` (not configured) or ``down``. The answer's HTTP status is 503 only when a *critical* part is
down (the model or the action server: customers would get apologies), so a load balancer takes that
replica out; a degraded channel keeps the replica in service.
"""
from __future__ import annotations

import asyncio
import inspect
import logging
from typing import Any, Awaitable, Callable, Dict, Tuple, Union

logger = logging.getLogger(__name__)

OK, DEGRADED, DISABLED, DOWN = "ok", "degraded", "disabled", "down"
CHECK_TIMEOUT_SECONDS = 3.0

PartStatus = Dict[str, Any]
Check = Callable[[], Union[PartStatus, Awaitable[PartStatus]]]


class HealthRegistry:
    """Named checks of the parts of this process, and which of them are critical."""

    def __init__(self) -> None:
        self._checks: Dict[str, Tuple[Check, bool]] = {}

    def register(self, name: str, check: Check, critical: bool = False) -> None:
        """Add (or replace) the check of part ``name``."""
        self._checks[name] = (check, critical)

    def names(self) -> list:
        return sorted(self._checks)

    async def report(self) -> Tuple[int, Dict[str, Any]]:
        """``(http_status, body)``: every part's status and the overall one."""
        names = sorted(self._checks)
        results = await asyncio.gather(*(self._run(name) for name in names))
        parts = dict(zip(names, results, strict=True))
        critical_down = [n for n in names if self._checks[n][1] and parts[n].get("status") == DOWN]
        if critical_down:
            overall = DOWN
        elif any(part.get("status") not in (OK, DISABLED) for part in parts.values()):
            overall = DEGRADED
        else:
            overall = OK
        return (503 if overall == DOWN else 200), {"status": overall, "parts": parts}

    async def _run(self, name: str) -> PartStatus:
        check, _ = self._checks[name]
        try:
            result = check()
            if inspect.isawaitable(result):
                result = await asyncio.wait_for(result, CHECK_TIMEOUT_SECONDS)
        except asyncio.TimeoutError:
            return {"status": DOWN, "problem": f"no answer within {CHECK_TIMEOUT_SECONDS:.0f} s"}
        except Exception as error:  # noqa: BLE001 - a broken check reports, never breaks the endpoint
            logger.warning("health check %s failed: %s: %s", name, type(error).__name__, error)
            return {"status": DOWN, "problem": f"{type(error).__name__}: {error}"}
        if not isinstance(result, dict) or "status" not in result:
            return {"status": DOWN, "problem": f"check returned {result!r}"}
        return result


health = HealthRegistry()
