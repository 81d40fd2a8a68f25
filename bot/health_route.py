"""``GET /health`` on the Rasa server: the model, the action server, its knowledge base and every registered
part (:mod:`bot.health`). Answered to anyone (no details beyond statuses and problems, which never carry
tokens); HTTP 503 only when the model or the action server is down, so a load balancer can take the
replica out while a degraded channel keeps it in service."""
from __future__ import annotations

import asyncio
from typing import Any, Dict, Optional, Tuple

import httpx
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.health import DEGRADED, DOWN, OK, health
from rasa_sdk_plugins import KNOWLEDGE_BASE_HEALTH_PATH

ACTION_CHECK_TIMEOUT_SECONDS = 2.0


def action_health_url(webhook_url: str) -> str:
    """``http://host:5055/webhook`` -> ``http://host:5055/health``."""
    base = webhook_url.rstrip("/")
    base = base[: -len("/webhook")] if base.endswith("/webhook") else base
    return f"{base}/health"


def model_check(app: Any) -> Dict[str, Any]:
    """The model is loaded and the agent answers."""
    agent = getattr(app.ctx, "agent", None)
    if agent is None or not agent.is_ready():
        return {"status": DOWN, "problem": "model not loaded yet"}
    return {"status": OK, "model_id": agent.model_id}


_client: Optional[Tuple[asyncio.AbstractEventLoop, httpx.AsyncClient]] = None


def check_client() -> httpx.AsyncClient:
    """One HTTP client per event loop for the checks: building a client loads the TLS certificates (about
    40 ms of CPU), too much for a check the load balancer makes every 2 s."""
    global _client
    loop = asyncio.get_running_loop()
    if _client is None or _client[0] is not loop or _client[1].is_closed:
        _client = (loop, httpx.AsyncClient(timeout=ACTION_CHECK_TIMEOUT_SECONDS))
    return _client[1]


async def action_server_check(url: str) -> Dict[str, Any]:
    """The action server answers its health check."""
    try:
        reply = await check_client().get(url)
    except httpx.HTTPError as error:
        return {"status": DOWN, "url": url, "problem": f"{type(error).__name__}: {error}"}
    if reply.status_code != 200:
        return {"status": DOWN, "url": url, "problem": f"HTTP {reply.status_code}"}
    return {"status": OK, "url": url}


async def knowledge_base_check(url: str) -> Dict[str, Any]:
    """The action server's live knowledge base (``ok``, or ``degraded`` while a broken article is not served)."""
    try:
        reply = await check_client().get(url)
        body = reply.json() if reply.status_code == 200 else None
    except (httpx.HTTPError, ValueError) as error:
        return {"status": DOWN, "problem": f"action server not answering: {type(error).__name__}: {error}"}
    if not isinstance(body, dict) or body.get("status") not in (OK, DEGRADED):
        return {"status": DOWN, "problem": f"unexpected answer from {url} (HTTP {reply.status_code})"}
    return body


def install_health_route(app: Any, action_webhook_url: Optional[str]) -> None:
    """Register the model, action-server and knowledge-base checks and add ``GET /health`` to ``app``."""
    health.register("rasa", lambda: model_check(app), critical=True)
    if action_webhook_url:
        url = action_health_url(action_webhook_url)
        health.register("actions", lambda: action_server_check(url), critical=True)
        knowledge_base_url = url[: -len("/health")] + KNOWLEDGE_BASE_HEALTH_PATH
        health.register("knowledge_base", lambda: knowledge_base_check(knowledge_base_url))

    async def health_route(_: Request) -> HTTPResponse:
        status, body = await health.report()
        return response.json(body, status=status)

    app.add_route(health_route, "/health", methods=["GET"], name="assistant_health")
