"""Sending messages through the WhatsApp Cloud API (``POST {base}/{phone-number-id}/messages``).

429 and 5xx answers and network errors are retried with exponential backoff, honouring ``Retry-After``;
other 4xx answers (bad token, outside the 24-hour window, invalid message) are logged and not retried.
Sending never raises: a failure is logged and reported as ``False``.

The client also keeps the channel's health (:attr:`GraphClient.state`): a message that could not be
delivered because the Graph API is down (network errors, timeouts, 5xx, rate limits) or refuses the
credentials (401/403) marks the channel degraded with that problem (one log line per distinct problem);
the next message the Graph API accepts marks it ok again. A refusal of one message (invalid message,
outside the 24-hour window) is that message's problem, not the channel's.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Dict, Optional

import httpx

from bot.channels.degradation import ChannelState, describe
from bot.retrying import Backoff, retry_after_seconds

logger = logging.getLogger(__name__)

DEFAULT_API_BASE_URL = "https://graph.facebook.com/v21.0"
CREDENTIALS_REFUSED = (401, 403)
CREDENTIALS_HINT = "check WHATSAPP_ACCESS_TOKEN and WHATSAPP_PHONE_NUMBER_ID; messages are not retried"
DOWN_HINT = "every message is still tried, with retries and backoff"


def _masked(to: Any) -> str:
    """A recipient for the logs: only the last 4 digits of the phone number."""
    text = str(to or "")
    return "…" + text[-4:] if len(text) > 4 else text


def _graph_error(reply: httpx.Response) -> str:
    """The Graph API error message and code of a failed request, for the logs."""
    try:
        error = reply.json().get("error") or {}
    except ValueError:
        return reply.text[:200]
    if not isinstance(error, dict):
        return str(error)[:200]
    return f"{error.get('message', '')} (code {error.get('code', '?')})"[:300]


class GraphClient:
    """Posts message bodies for one business phone number, with retries."""

    def __init__(self, access_token: str, phone_number_id: str, base_url: str = DEFAULT_API_BASE_URL, *,
                 max_attempts: int = 5, base_delay: float = 0.5, max_delay: float = 60.0, timeout: float = 15.0,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
        self.url = f"{(base_url or DEFAULT_API_BASE_URL).rstrip('/')}/{phone_number_id}/messages"
        self._headers = {"Authorization": f"Bearer {access_token}", "Content-Type": "application/json"}
        self.max_attempts = max(1, max_attempts)
        self.max_delay = max_delay
        self.policy = Backoff(first=base_delay, cap=max_delay)
        self.timeout = timeout
        self._sleep = sleep
        self._client: Optional[httpx.AsyncClient] = None
        self.last_refusal = ""  # the Graph error of the last message refused without retry (e.g. code 131047)
        self.state = ChannelState("whatsapp", logger, secrets=[access_token])

    @property
    def problem(self) -> Optional[str]:
        """Why the channel is degraded (None while the Graph API accepts messages)."""
        return self.state.problem

    def _http(self) -> httpx.AsyncClient:
        if self._client is None or self._client.is_closed:
            self._client = httpx.AsyncClient(timeout=self.timeout)
        return self._client

    async def send(self, message: Dict[str, Any]) -> bool:
        """Post one message; True once the Cloud API accepted it."""
        kind, to = message.get("type"), _masked(message.get("to"))
        waits = self.policy.schedule()   # doubling from base_delay, at least Retry-After, at most max_delay
        for attempt in range(1, self.max_attempts + 1):
            retry_after: Optional[float] = None
            try:
                reply = await self._http().post(self.url, json=message, headers=self._headers)
            except httpx.HTTPError as error:
                problem = f"Graph API unreachable ({describe(error)})"
            else:
                if reply.status_code < 300:
                    self.state.recover()
                    return True
                problem = f"HTTP {reply.status_code}: {_graph_error(reply)}"
                if reply.status_code in CREDENTIALS_REFUSED:
                    self.last_refusal = problem
                    return self._undelivered(kind, to, f"Graph API refused the credentials ({problem})",
                                             CREDENTIALS_HINT)
                if reply.status_code != 429 and reply.status_code < 500:
                    self.last_refusal = problem
                    logger.error("whatsapp: %s message to %s refused, not retried: %s", kind, to, problem)
                    return False
                problem = f"Graph API failing ({problem})"
                retry_after = retry_after_seconds(reply.headers.get("Retry-After"))
            if attempt == self.max_attempts:
                break
            if retry_after is not None and retry_after > self.max_delay:
                return self._undelivered(kind, to, f"{problem}, asked to wait {retry_after:.0f} s",
                                         "messages are given up instead of waiting that long")
            delay = waits.next(retry_after)
            # While the channel is known to be degraded, each message's retries are not worth a log line.
            logger.log(logging.DEBUG if self.state.degraded else logging.WARNING,
                       "whatsapp: %s message to %s failed (%s); retry %d/%d in %.1f s", kind, to,
                       self.state.scrub(problem), attempt, self.max_attempts - 1, delay)
            await self._sleep(delay)
        return self._undelivered(kind, to, problem, DOWN_HINT)

    def _undelivered(self, kind: Any, to: str, problem: str, hint: str) -> bool:
        """A message given up because of the channel (not the message): degraded, logged once per problem."""
        self.state.degrade(problem, hint)
        logger.info("whatsapp: %s message to %s not delivered", kind, to)
        return False

    async def aclose(self) -> None:
        """Close the HTTP connection pool."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None
