"""Hybrid knowledge-base retrieval: dense (FAISS) similarity plus BM25 over normalised text."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from kb.articles import Article, load_articles
from kb.embedders import Embedder, load_embedder
from kb.index import (
    VectorIndex,
    build_index,
    index_fingerprint,
    index_path,
    load_previous_index,
    load_saved_index,
    save_index,
)
from kb.lexical import BM25, analyse
from kb.settings import RetrievalSettings

MODES = ("hybrid", "dense", "lexical")


@dataclass(frozen=True)
class Hit:
    """One retrieved article with its combined and per-signal scores."""

    article_id: str
    title: str
    score: float
    dense: float
    lexical: float


class Retriever:
    """Ranks articles for a customer question."""

    def __init__(self, articles: Dict[str, Article], embedder: Embedder, vectors: VectorIndex,
                 settings: RetrievalSettings) -> None:
        self.articles = articles
        self.settings = settings
        self._embedder = embedder
        self._vectors = vectors
        self._ids = list(articles)
        self._bm25 = BM25([analyse(self._lexical_text(a)) for a in articles.values()])

    @property
    def embedder(self) -> Embedder:
        """The model that embeds queries (and the index rows)."""
        return self._embedder

    @property
    def vectors(self) -> VectorIndex:
        """The dense index this retriever searches."""
        return self._vectors

    @staticmethod
    def _lexical_text(article: Article) -> str:
        return " ".join([article.title, *article.questions, article.body])

    def _dense_scores(self, query: str) -> Dict[str, float]:
        vector = self._embedder.embed_queries([query])[0]
        best: Dict[str, float] = {}
        for article_id, score in self._vectors.search(vector, self._vectors.index.ntotal):
            best[article_id] = max(score, best.get(article_id, -1.0))
        return best

    def _lexical_scores(self, query: str) -> Dict[str, float]:
        saturation = self.settings.lexical_saturation
        raw = self._bm25.scores(analyse(query))
        return {aid: s / (s + saturation) for aid, s in zip(self._ids, raw, strict=True)}

    def search(self, query: str, top_k: int = 3, mode: str = "hybrid") -> List[Hit]:
        """Return the ``top_k`` best articles; ``mode`` selects hybrid, dense-only or lexical-only."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        if not query.strip():
            return []
        dense = self._dense_scores(query) if mode != "lexical" else {}
        lexical = self._lexical_scores(query) if mode != "dense" else {}
        weight = self.settings.lexical_weight
        hits = []
        for article_id in self._ids:
            dense_score, lexical_score = dense.get(article_id, 0.0), lexical.get(article_id, 0.0)
            score = {"dense": dense_score, "lexical": lexical_score}.get(
                mode, (1 - weight) * dense_score + weight * lexical_score)
            hits.append(Hit(article_id, self.articles[article_id].title, round(score, 4), round(dense_score, 4),
                            round(lexical_score, 4)))
        hits.sort(key=lambda h: h.score, reverse=True)
        return hits[:top_k]

    def worth_suggesting(self, hits: List[Hit]) -> List[Hit]:
        """The hits good enough to offer as "did you mean" buttons (all or none of the top ones)."""
        return hits if hits and hits[0].score >= self.settings.suggest_floor else []

    def leads_clearly(self, hits: List[Hit]) -> bool:
        """Whether the best of dense-only hits (a message in another language) leads the runner-up enough
        to answer it rather than offer a choice."""
        if not hits:
            return False
        return len(hits) == 1 or hits[0].score - hits[1].score >= self.settings.foreign_lead

    def is_confident(self, hits: List[Hit]) -> bool:
        """Whether the best hit is good enough to answer without a clarifying question: a high score,
        or a slightly lower one that clearly leads the runner-up."""
        if not hits:
            return False
        settings, top = self.settings, hits[0].score
        lead = top - hits[1].score if len(hits) > 1 else 1.0
        return (top >= settings.answer_threshold and lead >= settings.answer_margin) or (
            top >= settings.lead_threshold and lead >= settings.lead_margin)


def ensure_index(settings: RetrievalSettings, articles_dir: Optional[Path] = None,
                 embedder: Optional[Embedder] = None) -> Tuple[VectorIndex, Embedder, bool]:
    """Load the saved index or build and save it. Returns (index, embedder, rebuilt?).

    ``articles_dir`` defaults to the settings' (kb/articles). A rebuild reuses the vectors of the previously
    saved index of the same model for unchanged texts."""
    articles_dir = articles_dir or settings.articles_dir
    embedder = embedder or load_embedder(settings.model)
    fingerprint = index_fingerprint(settings.model, articles_dir)
    directory = index_path(settings.index_dir, settings.model)
    saved = load_saved_index(directory, fingerprint)
    if saved is not None:
        return saved, embedder, False
    previous = load_previous_index(directory, settings.model)
    reuse = previous.vectors_by_text() if previous else None
    vectors = build_index(load_articles(articles_dir), embedder, fingerprint, reuse=reuse)
    save_index(vectors, directory)
    return vectors, embedder, True


def load_retriever(settings: Optional[RetrievalSettings] = None, articles_dir: Optional[Path] = None,
                   embedder: Optional[Embedder] = None) -> Retriever:
    """Create a ready retriever, building the index on first use."""
    settings = settings or RetrievalSettings.from_env()
    articles_dir = articles_dir or settings.articles_dir
    vectors, embedder, _ = ensure_index(settings, articles_dir, embedder)
    return Retriever(load_articles(articles_dir), embedder, vectors, settings)
