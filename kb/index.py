"""Build and load the FAISS vector index of the knowledge base, persisted on disk.

The index is rebuilt only when the articles or the embedding model change (fingerprint check).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List

import faiss
import numpy as np

from kb.articles import Article, articles_fingerprint
from kb.embedders import Embedder

INDEX_FORMAT = 1
# One search scans under a thousand vectors: extra OpenMP threads only fight the servers for the CPU.
faiss.omp_set_num_threads(1)


@dataclass
class VectorIndex:
    """FAISS inner-product index whose rows map to article ids."""

    index: faiss.Index
    row_articles: List[str]
    fingerprint: str

    def search(self, vector: np.ndarray, rows: int) -> List[tuple]:
        """Return ``(article_id, cosine)`` for the ``rows`` nearest rows."""
        scores, ids = self.index.search(vector.reshape(1, -1).astype("float32"), min(rows, self.index.ntotal))
        return [(self.row_articles[i], float(s)) for s, i in zip(scores[0], ids[0]) if i >= 0]


def index_fingerprint(model: str, articles_dir: Path) -> str:
    """Fingerprint of the article files, the model spec and the index format."""
    return f"{INDEX_FORMAT}:{model}:{articles_fingerprint(articles_dir)}"


def index_path(index_dir: Path, model: str) -> Path:
    """Directory holding the index for one model."""
    return index_dir / re.sub(r"[^A-Za-z0-9_.-]+", "_", model)


def build_index(articles: Dict[str, Article], embedder: Embedder, fingerprint: str) -> VectorIndex:
    """Embed each article's title and example questions into a flat inner-product index."""
    texts: List[str] = []
    row_articles: List[str] = []
    for article in articles.values():
        for text in article.searchable_texts():
            texts.append(text)
            row_articles.append(article.id)
    vectors = embedder.embed_queries(texts)
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    return VectorIndex(index=index, row_articles=row_articles, fingerprint=fingerprint)


def save_index(vector_index: VectorIndex, directory: Path) -> None:
    """Write the index and its metadata atomically enough for a single writer."""
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / "vectors.faiss.tmp"
    faiss.write_index(vector_index.index, str(tmp))
    tmp.replace(directory / "vectors.faiss")
    meta = {"fingerprint": vector_index.fingerprint, "row_articles": vector_index.row_articles}
    (directory / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")


def load_saved_index(directory: Path, fingerprint: str) -> VectorIndex | None:
    """Load the saved index if it exists and matches ``fingerprint``; otherwise None."""
    meta_file, vectors_file = directory / "meta.json", directory / "vectors.faiss"
    if not (meta_file.exists() and vectors_file.exists()):
        return None
    meta = json.loads(meta_file.read_text(encoding="utf-8"))
    if meta.get("fingerprint") != fingerprint:
        return None
    return VectorIndex(faiss.read_index(str(vectors_file)), meta["row_articles"], fingerprint)
