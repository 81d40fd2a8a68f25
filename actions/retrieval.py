"""Process-wide knowledge-base retriever for the action server (loaded once, at import time)."""
from __future__ import annotations

import logging
from functools import lru_cache

from kb.retriever import Retriever, load_retriever

logger = logging.getLogger(__name__)
MAX_QUERY_CHARS = 500


@lru_cache(maxsize=1)
def retriever() -> Retriever:
    """The shared retriever; the FAISS index is built on first use if missing."""
    instance = load_retriever()
    logger.info("knowledge base ready: %d articles, model %s", len(instance.articles), instance.settings.model)
    return instance
