"""rasa_sdk's plugin package (found by name at the action server's start, see ``rasa_sdk.plugin``): adds
``GET /health/knowledge_base`` to the action server, the state of the live knowledge base
(:meth:`kb.reload.LiveRetriever.status`). The Rasa server shows it as part ``knowledge_base`` of its
``GET /health`` (:mod:`bot.health_route`)."""
from __future__ import annotations

import sys
from typing import Any

import pluggy
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

KNOWLEDGE_BASE_HEALTH_PATH = "/health/knowledge_base"
hookimpl = pluggy.HookimplMarker("rasa_sdk")


def init_hooks(manager: pluggy.PluginManager) -> None:
    """Register this module's hook implementations (called by rasa_sdk)."""
    manager.register(sys.modules[__name__])


async def knowledge_base_health(_: Request) -> HTTPResponse:
    """The live knowledge base's status (always HTTP 200: the status is in the body)."""
    from actions.retrieval import live_knowledge_base  # the action server has loaded it with the actions

    return response.json(live_knowledge_base().status())


@hookimpl
def attach_sanic_app_extensions(app: Sanic) -> Any:
    """Add the knowledge-base health route to the action server."""
    app.add_route(knowledge_base_health, KNOWLEDGE_BASE_HEALTH_PATH, methods=["GET"], name="knowledge_base_health")
