"""``GET /metrics`` on the Rasa server: the live monitoring figures in Prometheus' text format.

Counters and latency histograms come from every process of the server (:mod:`bot.analytics.live_metrics`,
multiprocess files), gauges are computed now (:mod:`bot.analytics.live_gauges`: ticket database, health).

Answered only to a client whose *socket peer* is a loopback address (``request.ip``, never
``X-Forwarded-For``, which any client can write) or that presents Rasa's API token (``--auth-token``) as
``?token=`` or ``Authorization: Bearer``. Behind HAProxy the peer is the proxy, not loopback, so scrape each
replica directly (``assistant1:5005/metrics`` with the token) rather than through the load balancer, which
would also mix the replicas' counters. Everyone else gets 403 and a one-line JSON error.
"""
from __future__ import annotations

import asyncio
import hmac
import ipaddress
from typing import Any, Iterable, Iterator, List, Optional

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.analytics import live_metrics
from bot.analytics.live_gauges import database_metrics, health_metrics
from bot.analytics.metrics_dir import metrics_dir
from bot.handoff.runtime import handoff_runtime
from bot.health import HealthRegistry, health

FORBIDDEN = {"error": "forbidden: /metrics answers loopback clients or requests with the API token"}


def is_loopback(ip: str) -> bool:
    """Whether ``ip`` (a socket peer address) is a loopback address, IPv4-mapped IPv6 included."""
    try:
        address = ipaddress.ip_address((ip or "").strip().strip("[]"))
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


def presented_token(request: Any) -> str:
    """The token a request carries: ``?token=`` or ``Authorization: Bearer <token>`` ("" when none)."""
    token = request.args.get("token") if request.args else None
    if token:
        return str(token)
    scheme, _, value = (request.headers.get("Authorization") or "").strip().partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def may_scrape(request: Any, api_token: Optional[str]) -> bool:
    """Loopback peers always; others only with the API token (never when the server has none)."""
    if is_loopback(request.ip):
        return True
    token = presented_token(request)
    return bool(api_token) and bool(token) and hmac.compare_digest(token.encode(), str(api_token).encode())


class _Collected:
    """Several collectors (and ready-made metric families) as one, for ``generate_latest``."""

    def __init__(self, collectors: Iterable[Any], families: List[Metric]) -> None:
        self._collectors, self._families = list(collectors), families

    def collect(self) -> Iterator[Metric]:
        for collector in self._collectors:
            yield from collector.collect()
        yield from self._families


def render(families: List[Metric]) -> bytes:
    """The counters of every process (or of this one, without a multiprocess folder) plus ``families``."""
    folder = metrics_dir()
    counters = MultiProcessCollector(None, str(folder)) if folder is not None else live_metrics.REGISTRY
    return generate_latest(_Collected([counters], families))


async def scrape(registry: HealthRegistry = health) -> bytes:
    """One scrape: health and database gauges computed now, counters read from the files."""
    runtime = handoff_runtime.ready
    health_families, database_families = await asyncio.gather(
        health_metrics(registry), database_metrics(runtime.service if runtime else None))
    return await asyncio.to_thread(render, [*health_families, *database_families])


def install_metrics_route(app: Any, api_token: Optional[str]) -> None:
    """Add ``GET /metrics`` to ``app``, guarded by loopback or ``api_token`` (Rasa's ``--auth-token``)."""

    async def metrics_route(request: Request) -> HTTPResponse:
        if not may_scrape(request, api_token):
            return response.json(FORBIDDEN, status=403)
        return response.raw(await scrape(), content_type=CONTENT_TYPE_LATEST)

    app.add_route(metrics_route, "/metrics", methods=["GET"], name="assistant_metrics")
