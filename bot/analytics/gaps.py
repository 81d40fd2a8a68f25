"""Knowledge-base gaps: what customers asked that the knowledge base could not answer, grouped by meaning.

Sources (see :mod:`bot.analytics.conversations`): messages answered with a clarifying question, messages the
assistant could not understand (fallback "unclear"; empty, unreadable and foreign-language messages are
left out: no article would fix them) and questions whose article got "Belum membantu".

Messages are cleaned first (secrets redacted, personal data masked: :mod:`nlu.scrub`), embedded with the retrieval
model and grouped greedily by cosine similarity after removing the knowledge base's mean direction (raw e5 similarities
of unrelated Indonesian questions sit around 0.8; centred, related questions stand out). The closest article
is the one whose title or example question (the retrieval index's rows) is most similar, in the same centred
space, to the group's centre. When there are more
messages than ``sample_limit`` a deterministic sample is embedded and group volumes are estimated from it.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Protocol, Sequence, Tuple

import numpy as np

from bot.analytics.conversations import CLARIFICATION, FALLBACK_UNCLEAR, Conversation
from bot.text_limits import clip
from nlu.payloads import is_own_payload
from nlu.scrub import protected

NOT_HELPFUL = "not_helpful"
FALLBACK = "fallback"
REASONS = (CLARIFICATION, FALLBACK, NOT_HELPFUL)
DEFAULT_SAMPLE_LIMIT = 200  # messages embedded per report (~50 ms each with the 4-bit e5 model)
DEFAULT_THRESHOLD = 0.30  # centred cosine similarity to join a group (tuned on labelled synthetic questions)
EXAMPLES_PER_GROUP = 3
EXAMPLE_CHARS = 200


@dataclass(frozen=True)
class GapMessage:
    """One customer message the knowledge base did not serve, already redacted."""

    text: str
    reason: str  # CLARIFICATION, FALLBACK or NOT_HELPFUL
    at: float


@dataclass(frozen=True)
class GapGroup:
    """Messages that mean about the same thing, with the article that comes closest."""

    volume: int  # messages in the period (estimated when sampled)
    sampled: int  # messages of the sample in this group
    reasons: Dict[str, int]  # sampled messages per reason
    examples: Tuple[str, ...]  # up to 3 distinct, most typical first
    closest_article_id: Optional[str]
    closest_article_title: Optional[str]
    similarity: Optional[float]  # centred cosine of the group's centre to that article's nearest question


@dataclass(frozen=True)
class GapList:
    """The groups, largest first, and how much of the period they cover."""

    groups: Tuple[GapGroup, ...]
    messages: int  # gap messages in the period
    sampled: int  # messages embedded and grouped
    by_reason: Dict[str, int] = field(default_factory=dict)  # all messages per reason

    @property
    def estimated(self) -> bool:
        return self.sampled < self.messages


class Embeddings(Protocol):
    """What grouping needs from the retrieval model and index (see :class:`RetrievalEmbeddings`)."""

    def embed(self, texts: List[str]) -> np.ndarray:
        """L2-normalised query vectors, one row per text."""

    @property
    def center(self) -> np.ndarray:
        """Mean direction of the knowledge base's vectors."""

    def closest_article(self, centred: np.ndarray) -> Tuple[Optional[str], Optional[str], Optional[float]]:
        """(article id, title, similarity) of the article nearest to a centred unit vector."""


def centred_rows(matrix: np.ndarray, center: np.ndarray) -> np.ndarray:
    """Rows minus ``center``, scaled to unit length."""
    rows = np.asarray(matrix, dtype="float32") - center
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)


class RetrievalEmbeddings:
    """:class:`Embeddings` backed by the knowledge base's own embedder and FAISS index (kb.retriever): the
    index rows are the articles' titles and example questions, embedded by the same model."""

    def __init__(self, embedder: object, vectors: object, titles: Dict[str, str]) -> None:
        self._embedder = embedder
        self._row_articles = list(vectors.row_articles)  # type: ignore[attr-defined]
        self._titles = titles
        index = vectors.index  # type: ignore[attr-defined]
        rows = np.asarray(index.reconstruct_n(0, index.ntotal), dtype="float32")
        self._center = rows.mean(axis=0)
        self._rows = centred_rows(rows, self._center)

    @classmethod
    def load(cls) -> "RetrievalEmbeddings":
        """The retrieval model and index as configured (``KB_*`` settings; the index is built when missing)."""
        from kb.articles import load_articles
        from kb.retriever import ensure_index
        from kb.settings import RetrievalSettings

        vectors, embedder, _ = ensure_index(RetrievalSettings.from_env())
        return cls(embedder, vectors, {a.id: a.title for a in load_articles().values()})

    def embed(self, texts: List[str]) -> np.ndarray:
        return self._embedder.embed_queries(texts)  # type: ignore[attr-defined]

    @property
    def center(self) -> np.ndarray:
        return self._center

    def closest_article(self, centred: np.ndarray) -> Tuple[Optional[str], Optional[str], Optional[float]]:
        if not len(self._rows):
            return None, None, None
        scores = self._rows @ centred
        best = int(np.argmax(scores))
        article_id = self._row_articles[best]
        return article_id, self._titles.get(article_id, article_id), round(float(scores[best]), 3)


def no_gaps() -> GapList:
    """The gap list of a period without gap messages (no model is loaded for it)."""
    return GapList((), 0, 0, {reason: 0 for reason in REASONS})


def redact_text(text: str) -> str:
    """A customer message as the gap list may show it: secrets redacted, personal data masked (NIK, card, account
    and phone numbers, e-mail addresses), whitespace collapsed."""
    return " ".join(protected(text).split())


def gap_messages(conversations: Sequence[Conversation]) -> List[GapMessage]:
    """Every gap message of the conversations, redacted, in time order."""
    found: List[GapMessage] = []

    def add(text: str, reason: str, at: float) -> None:
        if text.strip() and not is_own_payload(text):
            found.append(GapMessage(redact_text(text), reason, at))

    for conversation in conversations:
        for item in conversation.clarifications:
            add(item.text, CLARIFICATION, item.at)
        for item in conversation.fallbacks:
            if item.kind == FALLBACK_UNCLEAR:
                add(item.text, FALLBACK, item.at)
        for feedback in conversation.feedback:
            if not feedback.helpful:
                add(feedback.question, NOT_HELPFUL, feedback.at)
    return sorted(found, key=lambda message: message.at)


def sample(messages: Sequence[GapMessage], limit: int) -> List[GapMessage]:
    """All messages, or a deterministic uniform sample of ``limit`` of them (same data, same sample)."""
    if len(messages) <= limit:
        return list(messages)
    def key(message: GapMessage) -> str:
        return hashlib.sha1(f"{message.at!r}|{message.text}".encode("utf-8")).hexdigest()
    return sorted(messages, key=key)[:limit]


def text_key(text: str) -> str:
    """Messages that differ only in case and spacing are the same text."""
    return " ".join(text.casefold().split())


def _words(text: str) -> set:
    return set(text_key(text).split())


def distinct_examples(candidates: Sequence[str], count: int = EXAMPLES_PER_GROUP,
                      overlap: float = 0.5) -> Tuple[str, ...]:
    """Up to ``count`` of ``candidates`` (most typical first), skipping near-repeats of one already chosen
    (word overlap of at least ``overlap``) while others are left."""
    chosen: List[str] = []
    for text in candidates:
        words = _words(text)
        if all(len(words & _words(other)) / max(len(words | _words(other)), 1) < overlap for other in chosen):
            chosen.append(text)
        if len(chosen) == count:
            return tuple(chosen)
    chosen += [text for text in candidates if text not in chosen][:count - len(chosen)]
    return tuple(chosen)


def group_vectors(vectors: np.ndarray, order: Sequence[int], threshold: float) -> List[List[int]]:
    """Greedy grouping of unit rows: each row (in ``order``) joins the group whose centre is most similar
    when that is at least ``threshold``, else starts one; then every row moves to its nearest final centre."""
    sums: List[np.ndarray] = []
    for row in order:
        if sums:
            centres = np.vstack(sums)
            centres /= np.maximum(np.linalg.norm(centres, axis=1, keepdims=True), 1e-12)
            scores = centres @ vectors[row]
            best = int(np.argmax(scores))
            if scores[best] >= threshold:
                sums[best] = sums[best] + vectors[row]
                continue
        sums.append(vectors[row].copy())
    if not sums:
        return []
    centres = np.vstack(sums)
    centres /= np.maximum(np.linalg.norm(centres, axis=1, keepdims=True), 1e-12)
    nearest = np.argmax(vectors @ centres.T, axis=1)
    groups: Dict[int, List[int]] = {}
    for row in order:
        groups.setdefault(int(nearest[row]), []).append(row)
    return list(groups.values())


def find_gaps(messages: Sequence[GapMessage], embeddings: Embeddings, sample_limit: int = DEFAULT_SAMPLE_LIMIT,
              threshold: float = DEFAULT_THRESHOLD, top: Optional[int] = None) -> GapList:
    """Group the gap messages by meaning, largest group first (``top`` groups at most)."""
    chosen = sample(messages, sample_limit)
    by_reason = Counter(message.reason for message in messages)
    if not chosen:
        return GapList((), len(messages), 0, {reason: by_reason.get(reason, 0) for reason in REASONS})
    texts: Dict[str, List[GapMessage]] = {}
    for message in chosen:
        texts.setdefault(text_key(message.text), []).append(message)
    keys = sorted(texts, key=lambda key: (-len(texts[key]), key))
    shown = [Counter(m.text for m in texts[key]).most_common(1)[0][0] for key in keys]
    centred = centred_rows(embeddings.embed(shown), embeddings.center)
    scale = len(messages) / len(chosen)
    groups = []
    for rows in group_vectors(centred, range(len(keys)), threshold):
        members = [m for row in rows for m in texts[keys[row]]]
        centre = centred[rows].mean(axis=0)
        centre /= max(float(np.linalg.norm(centre)), 1e-12)
        typical = sorted(rows, key=lambda row: -float(centred[row] @ centre))
        article_id, title, similarity = embeddings.closest_article(centre)
        groups.append(GapGroup(
            volume=round(len(members) * scale), sampled=len(members),
            reasons={reason: sum(m.reason == reason for m in members) for reason in REASONS},
            examples=distinct_examples([clip(shown[row], EXAMPLE_CHARS) for row in typical]),
            closest_article_id=article_id, closest_article_title=title, similarity=similarity))
    groups.sort(key=lambda group: (-group.sampled, group.examples))
    return GapList(tuple(groups[:top] if top else groups), len(messages), len(chosen),
                   {reason: by_reason.get(reason, 0) for reason in REASONS})
