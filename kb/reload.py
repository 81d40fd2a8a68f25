"""Serve a retriever that follows kb/articles/ while the process runs: no retraining, no restart.

A daemon thread hashes the article files every ``reload_interval`` seconds (a few milliseconds of reading).
When they changed it parses them, embeds only the texts the current index does not hold, builds a new
:class:`~kb.retriever.Retriever` and swaps it in with one assignment; searches keep using the previous
retriever meanwhile. A broken article leaves the previous retriever serving, with one warning per broken
state, and :meth:`LiveRetriever.status` (the action server's ``GET /health/knowledge_base``, shown as part
``knowledge_base`` of the assistant's ``GET /health``) says ``degraded`` with the problem until the articles
load again. The rebuilt index is written back to disk (atomically, see :mod:`kb.index`) so the next start and
``python -m kb build`` find it up to date.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path
from typing import Any, Dict, Optional

from kb.articles import Article, ArticleError, load_articles
from kb.embedders import Embedder
from kb.index import build_index, index_fingerprint, index_path, save_index
from kb.retriever import Retriever, load_retriever
from kb.settings import RetrievalSettings

logger = logging.getLogger(__name__)
LIVE_MESSAGE = "knowledge base reloaded"


def describe_changes(old: Dict[str, Article], new: Dict[str, Article]) -> str:
    """``"1 added, 2 edited, 0 removed"`` between two loads of the articles."""
    added = len(new.keys() - old.keys())
    removed = len(old.keys() - new.keys())
    edited = sum(1 for aid in new.keys() & old.keys() if new[aid] != old[aid])
    return f"{added} added, {edited} edited, {removed} removed"


class LiveRetriever:
    """Holds the current retriever and replaces it when the article files change."""

    def __init__(self, retriever: Retriever, articles_dir: Optional[Path] = None, persist: bool = True) -> None:
        self._current = retriever
        self._articles_dir = articles_dir or retriever.settings.articles_dir
        self._persist = persist
        self._rejected: Optional[str] = None   # fingerprint of a broken state already warned about
        self._problem: Optional[str] = None    # why the articles on disk are not the ones served
        self._problem_since: Optional[float] = None
        self._lock = threading.Lock()         # one check or rebuild at a time
        self._pid = os.getpid()
        self._starting = threading.Lock()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    @classmethod
    def load(cls, settings: Optional[RetrievalSettings] = None, articles_dir: Optional[Path] = None,
             embedder: Optional[Embedder] = None, persist: bool = True) -> "LiveRetriever":
        """Load the saved index (building it if stale) and wrap the retriever; polling is not started.
        ``settings`` default to the ``KB_*`` environment, ``articles_dir`` to the settings' (kb/articles)."""
        retriever = load_retriever(settings, articles_dir, embedder)
        return cls(retriever, articles_dir or retriever.settings.articles_dir, persist)

    @property
    def current(self) -> Retriever:
        """The retriever to use now; take it once per request so articles and hits stay consistent."""
        return self._current

    @property
    def settings(self) -> RetrievalSettings:
        """The retrieval settings in use (model, index directory, reload interval)."""
        return self._current.settings

    def status(self) -> Dict[str, Any]:
        """What is served and whether it is what kb/articles/ holds: ``ok``, or ``degraded`` with the problem
        (a broken article or a failed rebuild; the previous articles keep answering)."""
        current = self._current
        body: Dict[str, Any] = {"status": "ok", "articles": len(current.articles), "model": current.settings.model,
                                "reload_every_seconds": current.settings.reload_interval}
        if self._problem is not None:
            body.update(status="degraded", problem=self._problem, since=round(self._problem_since or 0.0))
        return body

    def _reject(self, fingerprint: str, problem: str) -> None:
        """Remember that the articles in state ``fingerprint`` cannot be served, and why."""
        self._rejected = fingerprint
        if self._problem != problem:
            self._problem, self._problem_since = problem, time.time()

    def refresh(self) -> bool:
        """Look at the article files once and, if they changed, rebuild and swap in a new retriever.

        Blocks the calling thread for the rebuild (call it from the polling thread, not an event loop).
        Returns True when a new index went live."""
        with self._lock:
            return self._refresh()

    def _fingerprint(self) -> Optional[str]:
        try:
            return index_fingerprint(self.settings.model, self._articles_dir)
        except OSError:   # a file vanished between listing and reading: look again next time
            return None

    def _refresh(self) -> bool:
        old = self._current
        fingerprint = self._fingerprint()
        if fingerprint is None or fingerprint == self._rejected:
            return False
        if fingerprint == old.vectors.fingerprint:   # what is served (again, when a broken change was undone)
            self._problem = self._problem_since = self._rejected = None
            return False
        started = time.perf_counter()
        try:
            articles = load_articles(self._articles_dir)
            if not articles:
                raise ArticleError(f"no articles in {self._articles_dir}")
        except (ArticleError, OSError) as error:
            if self._fingerprint() == fingerprint:   # not merely caught half-written
                self._reject(fingerprint, f"article files not loaded, previous {len(old.articles)} served: {error}")
                logger.warning("knowledge base NOT reloaded, still serving the previous %d articles: %s",
                               len(old.articles), error)
            return False
        if self._fingerprint() != fingerprint:       # changed while being read: the next check takes it
            return False
        try:
            vectors = build_index(articles, old.embedder, fingerprint, reuse=old.vectors.vectors_by_text())
            new = Retriever(articles, old.embedder, vectors, old.settings)
        except Exception as error:
            self._reject(fingerprint, f"index rebuild failed, previous {len(old.articles)} articles served: "
                                      f"{type(error).__name__}: {error}")
            logger.exception("knowledge base rebuild failed, still serving the previous %d articles",
                             len(old.articles))
            return False
        self._current = new
        self._problem = self._problem_since = None
        self._write_back(new)
        logger.info("%s: %d articles live (%s; texts embedded: %d) in %.1fs", LIVE_MESSAGE, len(articles),
                    describe_changes(old.articles, articles), vectors.embedded, time.perf_counter() - started)
        return True

    def _write_back(self, retriever: Retriever) -> None:
        if not self._persist:
            return
        directory = index_path(retriever.settings.index_dir, retriever.settings.model)
        try:
            save_index(retriever.vectors, directory)
        except OSError as error:   # e.g. a read-only image: the new index still serves from memory
            logger.warning("knowledge base index not saved to %s (%s); serving it from memory", directory, error)

    def start(self, interval: Optional[float] = None) -> bool:
        """Check every ``interval`` seconds (default: the ``reload_interval`` setting; 0 or less: never) in a
        daemon thread. Idempotent; after a fork it starts a new thread in the child. True if polling runs."""
        interval = self.settings.reload_interval if interval is None else interval
        if interval <= 0:
            return False
        with self._starting:
            if self._thread is not None and self._thread.is_alive():
                return True
            if os.getpid() != self._pid:   # forked: the parent's lock may have been held by its polling thread
                self._lock, self._pid = threading.Lock(), os.getpid()
            self._stop = threading.Event()
            self._thread = threading.Thread(target=self._poll, args=(interval, self._stop), name="kb-reload",
                                            daemon=True)
            self._thread.start()
            return True

    def stop(self, timeout: Optional[float] = None) -> None:
        """Stop polling (waits for a rebuild in progress, up to ``timeout`` seconds)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _poll(self, interval: float, stop: threading.Event) -> None:
        while not stop.wait(interval):
            try:
                self.refresh()
            except Exception:   # never let the polling thread die
                logger.exception("knowledge base check failed")
