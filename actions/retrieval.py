"""Process-wide knowledge-base retriever for the action server (loaded once, at import time)."""
from __future__ import annotations

import asyncio
import logging
from functools import lru_cache
from typing import List

from kb.retriever import Hit, Retriever, load_retriever

logger = logging.getLogger(__name__)
MAX_QUERY_CHARS = 500


@lru_cache(maxsize=1)
def retriever() -> Retriever:
    """The shared retriever; the FAISS index is built on first use if missing."""
    instance = load_retriever()
    logger.info("knowledge base ready: %d articles, model %s", len(instance.articles), instance.settings.model)
    return instance


async def search(text: str, top_k: int = 3) -> List[Hit]:
    """Search in a worker thread so one embedding does not stall the action server's event loop."""
    return await asyncio.get_running_loop().run_in_executor(None, retriever().search, text[:MAX_QUERY_CHARS], top_k)
