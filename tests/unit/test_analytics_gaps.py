"""Knowledge-base gaps: which messages count, redaction, grouping by meaning (with stand-in vectors and with
the real retrieval model), volumes, examples and the closest article."""
from __future__ import annotations

import shutil
from typing import Dict, List, Optional, Tuple

import numpy as np
import pytest

from bot.analytics.conversations import (
    CLARIFICATION,
    FALLBACK_FOREIGN,
    FALLBACK_UNCLEAR,
    Conversation,
    Feedback,
    Unanswered,
)
from bot.analytics.gaps import (
    FALLBACK,
    NOT_HELPFUL,
    GapMessage,
    RetrievalEmbeddings,
    distinct_examples,
    find_gaps,
    gap_messages,
    group_vectors,
    redact_text,
    sample,
)


def conversation(**fields) -> Conversation:
    return Conversation(sender_id="tg-1", channel="telegram", started_at=1.0, messages=1, **fields)


def unit(*values: float) -> np.ndarray:
    vector = np.asarray(values, dtype="float32")
    return vector / np.linalg.norm(vector)


class StandIn:
    """Embeddings with hand-chosen directions per topic word, and two articles."""

    TOPICS = {"nft": unit(1, 0, 0, 0.1), "futures": unit(0, 1, 0, 0.1), "kartu": unit(0, 0, 1, 0.1)}

    def __init__(self) -> None:
        self.embedded: List[str] = []

    def embed(self, texts: List[str]) -> np.ndarray:
        self.embedded.extend(texts)
        rows = []
        for text in texts:
            topic = next((v for word, v in self.TOPICS.items() if word in text.lower()), unit(0.3, 0.3, 0.3, 1))
            jitter = (sum(map(ord, text)) % 7) / 100.0
            rows.append(unit(*(topic + jitter)))
        return np.vstack(rows)

    @property
    def center(self) -> np.ndarray:
        return np.zeros(4, dtype="float32")

    def closest_article(self, centred: np.ndarray) -> Tuple[Optional[str], Optional[str], Optional[float]]:
        if centred[2] > 0.5:
            return "deposit-rupiah", "Cara deposit Rupiah (IDR)", 0.91
        return "cara-beli-jual", "Cara membeli dan menjual kripto", 0.88


def test_gap_messages_are_clarifications_unclear_fallbacks_and_not_helpful_questions() -> None:
    found = gap_messages([
        conversation(clarifications=[Unanswered(5.0, CLARIFICATION, "saldo")],
                     fallbacks=[Unanswered(6.0, FALLBACK_UNCLEAR, "bisa jual nft?"),
                                Unanswered(7.0, FALLBACK_FOREIGN, "how do I withdraw"),
                                Unanswered(8.0, "empty", "🙂")]),
        conversation(feedback=[Feedback(3.0, "biaya-penarikan", False, "biaya wd usdt"),
                               Feedback(4.0, "deposit-rupiah", True, "cara depo")]),
    ])
    assert [(m.text, m.reason, m.at) for m in found] == [
        ("biaya wd usdt", NOT_HELPFUL, 3.0), ("saldo", CLARIFICATION, 5.0), ("bisa jual nft?", FALLBACK, 6.0)]


def test_button_payloads_and_empty_texts_are_not_gaps() -> None:
    found = gap_messages([conversation(clarifications=[Unanswered(1.0, CLARIFICATION, "/affirm"),
                                                       Unanswered(2.0, CLARIFICATION, "   ")])])
    assert found == []


def test_examples_are_redacted() -> None:
    text = redact_text("password: hunter22 nomor saya 0812-3456-7890 email budi@contoh.id  kenapa\nlogin gagal")
    assert "hunter22" not in text and "3456" not in text and "budi@" not in text
    assert "[DIHAPUS: password]" in text and "0812-****-7890" in text and "\n" not in text
    assert gap_messages([conversation(fallbacks=[Unanswered(1.0, FALLBACK_UNCLEAR, "otp saya 123456 kok gagal")])]
                        )[0].text == "otp saya [DIHAPUS: otp] kok gagal"


def test_groups_are_ranked_by_volume_with_three_distinct_examples_and_the_closest_article() -> None:
    texts = (["bisa jual nft disini?"] * 3 + ["nft saya bisa disimpan?", "cara beli NFT gimana", "nft airdrop kapan"]
             + ["ada futures?", "kapan ada futures usdt"] + ["bayar pakai kartu kredit bisa?"])
    messages = [GapMessage(text, CLARIFICATION if i % 2 else FALLBACK, float(i)) for i, text in enumerate(texts)]
    stand_in = StandIn()
    gaps = find_gaps(messages, stand_in)
    assert [g.volume for g in gaps.groups] == [6, 2, 1]
    assert not gaps.estimated and gaps.messages == 9 and gaps.sampled == 9
    nft = gaps.groups[0]
    assert len(nft.examples) == 3 and len(set(nft.examples)) == 3 and all("nft" in e.lower() for e in nft.examples)
    assert nft.reasons == {CLARIFICATION: 3, FALLBACK: 3, NOT_HELPFUL: 0}
    assert gaps.groups[2].closest_article_id == "deposit-rupiah" and gaps.groups[2].similarity == 0.91
    assert stand_in.embedded.count("bisa jual nft disini?") == 1   # the same text is embedded once


def test_a_sample_estimates_volumes_and_is_deterministic() -> None:
    messages = [GapMessage(f"{'nft' if i % 4 else 'futures'} pertanyaan {i}", FALLBACK, float(i)) for i in range(400)]
    assert sample(messages, 100) == sample(list(reversed(messages)), 100)
    gaps = find_gaps(messages, StandIn(), sample_limit=100)
    assert gaps.estimated and gaps.sampled == 100 and gaps.messages == 400
    assert sum(g.volume for g in gaps.groups) == pytest.approx(400, abs=2)
    assert gaps.groups[0].volume == 4 * gaps.groups[0].sampled
    assert 250 <= gaps.groups[0].volume <= 350   # three in four messages are about NFTs


def test_no_messages_no_groups() -> None:
    gaps = find_gaps([], StandIn())
    assert gaps.groups == () and gaps.messages == 0 and not gaps.estimated


def test_grouping_joins_only_similar_rows() -> None:
    rows = np.vstack([unit(1, 0), unit(0.95, 0.05), unit(0, 1), unit(0.05, 0.95), unit(0.7, 0.7)])
    assert sorted(map(sorted, group_vectors(rows, range(5), threshold=0.9))) == [[0, 1], [2, 3], [4]]
    assert group_vectors(rows, [], threshold=0.9) == []


def test_distinct_examples_skip_near_repeats() -> None:
    assert distinct_examples(["bisa jual nft ga", "bisa jual nft ga kak", "nft saya hilang", "cara beli nft"]) == (
        "bisa jual nft ga", "nft saya hilang", "cara beli nft")
    assert distinct_examples(["a b", "a b c"]) == ("a b", "a b c")   # too few others: repeats fill up


@pytest.fixture(scope="module")
def retrieval(tmp_path_factory, embedder) -> RetrievalEmbeddings:
    """The real retrieval model and knowledge-base index (a saved index is copied, never modified)."""
    from kb.articles import ARTICLES_DIR, load_articles
    from kb.index import index_fingerprint, index_path, load_saved_index
    from kb.retriever import ensure_index
    from kb.settings import RetrievalSettings

    settings = RetrievalSettings(index_dir=tmp_path_factory.mktemp("gap_index"))
    source = index_path(RetrievalSettings().index_dir, settings.model)
    if load_saved_index(source, index_fingerprint(settings.model, ARTICLES_DIR)) is not None:
        shutil.copytree(source, index_path(settings.index_dir, settings.model))
    vectors, _, _ = ensure_index(settings, embedder=embedder)
    return RetrievalEmbeddings(embedder, vectors, {a.id: a.title for a in load_articles().values()})


def test_real_model_groups_questions_by_meaning(retrieval: RetrievalEmbeddings) -> None:
    texts = ["bayar pakai kartu kredit bisa?", "top up pake kartu kredit visa bisa?",
             "deposit pake kartu kredit bisa ga",
             "staking eth kapan cair ya", "kapan hasil staking ethereum dibagikan",
             "kenapa harga btc beda sama binance", "harga btc di sini kok beda dengan binance"]
    messages = [GapMessage(text, FALLBACK, float(i)) for i, text in enumerate(texts)]
    gaps = find_gaps(messages, retrieval)
    groups: Dict[str, set] = {text: set(g.examples) for g in gaps.groups for text in g.examples}
    assert groups["bayar pakai kartu kredit bisa?"] >= {"top up pake kartu kredit visa bisa?"}
    assert "staking eth kapan cair ya" not in groups["bayar pakai kartu kredit bisa?"]
    assert groups["staking eth kapan cair ya"] == {"staking eth kapan cair ya",
                                                   "kapan hasil staking ethereum dibagikan"}
    staking = next(g for g in gaps.groups if "staking eth kapan cair ya" in g.examples)
    assert staking.closest_article_id == "staking-earn" and 0 < staking.similarity <= 1
