"""Build and load the FAISS vector index of the knowledge base, persisted on disk.

The index is rebuilt only when the articles or the embedding model change (fingerprint check), and a rebuild
embeds only the texts the previous index does not already hold, so editing one article re-embeds one article.

On disk (one directory per model): ``vectors.faiss`` and ``meta.json``, each replaced atomically (unique
temporary file, then rename), the vectors first and the metadata last. The metadata holds the SHA-256 of the
vectors file it belongs to, so a reader that meets a half-finished pair of writes (two writers, or a reader
between the two renames) sees a mismatch and treats the index as missing instead of loading wrong rows.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional, Tuple

import faiss
import numpy as np

from kb.articles import Article, articles_fingerprint
from kb.embedders import Embedder

# 2: meta.json also holds the row texts (for reuse by the next build) and the vectors file's SHA-256.
INDEX_FORMAT = 2
VECTORS_FILE, META_FILE = "vectors.faiss", "meta.json"
# One search scans under a thousand vectors: extra OpenMP threads only fight the servers for the CPU.
faiss.omp_set_num_threads(1)


@dataclass
class VectorIndex:
    """FAISS inner-product index whose rows map to article ids (and to the texts they embed)."""

    index: faiss.Index
    row_articles: List[str]
    fingerprint: str
    row_texts: List[str] = field(default_factory=list)
    embedded: int = 0   # texts embedded to build this index (0 when loaded from disk)

    def search(self, vector: np.ndarray, rows: int) -> List[tuple]:
        """Return ``(article_id, cosine)`` for the ``rows`` nearest rows."""
        scores, ids = self.index.search(vector.reshape(1, -1).astype("float32"), min(rows, self.index.ntotal))
        return [(self.row_articles[i], float(s)) for s, i in zip(scores[0], ids[0], strict=True) if i >= 0]

    def vectors_by_text(self) -> Dict[str, np.ndarray]:
        """The vector of every indexed text, for the next build to reuse."""
        if not self.row_texts or len(self.row_texts) != self.index.ntotal:
            return {}
        rows = self.index.reconstruct_n(0, self.index.ntotal)
        return dict(zip(self.row_texts, rows, strict=True))


def index_fingerprint(model: str, articles_dir: Path) -> str:
    """Fingerprint of the article files, the model spec and the index format."""
    return f"{_fingerprint_prefix(model)}{articles_fingerprint(articles_dir)}"


def _fingerprint_prefix(model: str) -> str:
    return f"{INDEX_FORMAT}:{model}:"


def index_path(index_dir: Path, model: str) -> Path:
    """Directory holding the index for one model."""
    return index_dir / re.sub(r"[^A-Za-z0-9_.-]+", "_", model)


def index_rows(articles: Mapping[str, Article]) -> Tuple[List[str], List[str]]:
    """The indexed texts (each article's title and example questions) and the article id of each."""
    rows = [(text, article.id) for article in articles.values() for text in article.searchable_texts()]
    return [text for text, _ in rows], [article_id for _, article_id in rows]


def build_index(articles: Mapping[str, Article], embedder: Embedder, fingerprint: str,
                reuse: Optional[Mapping[str, np.ndarray]] = None) -> VectorIndex:
    """Embed each article's title and example questions into a flat inner-product index; texts found in
    ``reuse`` (text -> vector from an index of the same model) are not embedded again."""
    texts, row_articles = index_rows(articles)
    known = dict(reuse or {})
    missing = [text for text in dict.fromkeys(texts) if text not in known]
    if missing:
        known.update(zip(missing, embedder.embed_queries(missing), strict=True))
    index = faiss.IndexFlatIP(embedder.dimension)
    if texts:
        index.add(np.vstack([known[text] for text in texts]).astype("float32"))
    return VectorIndex(index, row_articles, fingerprint, texts, embedded=len(missing))


def _write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` in one rename; concurrent writers each use their own temporary file."""
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(handle, 0o644)   # mkstemp makes 0600; servers running as another user must read the index
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_index(vector_index: VectorIndex, directory: Path) -> None:
    """Write the index and its metadata, each atomically; the metadata (written last) commits the pair."""
    directory.mkdir(parents=True, exist_ok=True)
    blob = faiss.serialize_index(vector_index.index).tobytes()
    meta = {"fingerprint": vector_index.fingerprint, "row_articles": vector_index.row_articles,
            "row_texts": vector_index.row_texts, "vectors_sha256": hashlib.sha256(blob).hexdigest()}
    _write_atomically(directory / VECTORS_FILE, blob)
    _write_atomically(directory / META_FILE, json.dumps(meta, ensure_ascii=False).encode("utf-8"))


def _read_index(directory: Path, accept: Callable[[str], bool]) -> Optional[VectorIndex]:
    """The saved index if complete, consistent and its fingerprint is accepted; otherwise None."""
    try:
        meta = json.loads((directory / META_FILE).read_text(encoding="utf-8"))
        if not accept(meta.get("fingerprint", "")):
            return None
        blob = (directory / VECTORS_FILE).read_bytes()
        if hashlib.sha256(blob).hexdigest() != meta.get("vectors_sha256"):
            return None
        index = faiss.deserialize_index(np.frombuffer(blob, dtype="uint8"))
        row_articles, row_texts = list(meta["row_articles"]), list(meta.get("row_texts") or [])
    except (OSError, ValueError, KeyError, TypeError, RuntimeError):
        return None
    if index.ntotal != len(row_articles):
        return None
    return VectorIndex(index, row_articles, meta["fingerprint"], row_texts)


def load_saved_index(directory: Path, fingerprint: str) -> VectorIndex | None:
    """Load the saved index if it exists and matches ``fingerprint``; otherwise None."""
    return _read_index(directory, lambda saved: saved == fingerprint)


def load_previous_index(directory: Path, model: str) -> VectorIndex | None:
    """The saved index of ``model`` whatever articles it was built from (its vectors can be reused)."""
    return _read_index(directory, lambda saved: saved.startswith(_fingerprint_prefix(model)))
