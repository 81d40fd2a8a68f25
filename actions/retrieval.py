"""Process-wide knowledge-base retriever for the action server.

Loaded once (at import of ``actions.actions``); a background thread then follows kb/articles/ and swaps in a
rebuilt retriever when articles are added, edited or removed (``KB_RELOAD_INTERVAL`` seconds between checks,
default 10, 0 turns it off; see :mod:`kb.reload`). Take ``retriever()`` once per action and pass it to
``search(..., kb=...)`` so the hits and ``kb.articles`` come from the same version of the knowledge base.
"""
from __future__ import annotations

import asyncio
import logging
from functools import lru_cache
from typing import List, Optional

from kb.reload import LiveRetriever
from kb.retriever import Hit, Retriever

logger = logging.getLogger(__name__)
MAX_QUERY_CHARS = 500


@lru_cache(maxsize=1)
def live_knowledge_base() -> LiveRetriever:
    """The shared live retriever; the FAISS index is built on first use if missing."""
    live = LiveRetriever.load()
    settings = live.settings
    logger.info("knowledge base ready: %d articles, model %s, checking for article changes every %s",
                len(live.current.articles), settings.model,
                f"{settings.reload_interval:g}s" if settings.reload_interval > 0 else "never (KB_RELOAD_INTERVAL=0)")
    return live


def retriever() -> Retriever:
    """The current retriever (replaced when the articles change)."""
    live = live_knowledge_base()
    live.start()   # once per process; restarts the polling thread in a forked Sanic worker
    return live.current


async def search(text: str, top_k: int = 3, kb: Optional[Retriever] = None, mode: str = "hybrid") -> List[Hit]:
    """Search in a worker thread so one embedding does not stall the action server's event loop."""
    kb = kb or retriever()
    return await asyncio.get_running_loop().run_in_executor(None, kb.search, text[:MAX_QUERY_CHARS], top_k, mode)
