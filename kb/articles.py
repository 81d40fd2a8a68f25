"""Load knowledge-base articles (Markdown with YAML front matter)."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Mapping, Tuple

import yaml

ARTICLES_DIR = Path(__file__).parent / "articles"
CATEGORIES = ("akun", "keamanan", "verifikasi", "deposit", "penarikan", "trading", "edukasi", "legal", "layanan")
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n(.*)\Z", re.DOTALL)


class ArticleError(ValueError):
    """An article file is malformed."""


@dataclass(frozen=True)
class Article:
    """One knowledge-base article."""

    id: str
    title: str
    category: str
    questions: Tuple[str, ...]
    related: Tuple[str, ...]
    body: str
    path: Path = field(compare=False)

    def searchable_texts(self) -> List[str]:
        """Texts that represent the article for retrieval: title and example questions."""
        return [self.title, *self.questions]


def parse_article(path: Path) -> Article:
    """Parse one article file, raising ``ArticleError`` with the file name on problems."""
    match = _FRONT_MATTER.match(path.read_text(encoding="utf-8"))
    if not match:
        raise ArticleError(f"{path.name}: missing front matter")
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as error:
        raise ArticleError(f"{path.name}: invalid front matter: {error}") from None
    if not isinstance(meta, dict):
        raise ArticleError(f"{path.name}: front matter must be a mapping")
    missing = {"id", "title", "category", "questions"} - set(meta)
    if missing:
        raise ArticleError(f"{path.name}: missing {sorted(missing)}")
    if meta["id"] != path.stem:
        raise ArticleError(f"{path.name}: id {meta['id']!r} does not match the file name")
    questions, related = meta["questions"], meta.get("related") or []
    if not isinstance(questions, list) or not all(isinstance(q, str) and q.strip() for q in questions):
        raise ArticleError(f"{path.name}: questions must be a list of non-empty strings")
    if not isinstance(related, list):
        raise ArticleError(f"{path.name}: related must be a list of ids")
    if meta["category"] not in CATEGORIES:
        raise ArticleError(f"{path.name}: unknown category {meta['category']!r}")
    return Article(
        id=str(meta["id"]),
        title=str(meta["title"]).strip(),
        category=str(meta["category"]),
        questions=tuple(q.strip() for q in questions),
        related=tuple(str(r) for r in related),
        body=match.group(2).strip(),
        path=path,
    )


def unknown_related(articles: Mapping[str, Article]) -> Dict[str, List[str]]:
    """Related ids that name no article in ``articles``, per article id (articles without any left out)."""
    unknown = {a.id: [r for r in a.related if r not in articles] for a in articles.values()}
    return {article_id: ids for article_id, ids in unknown.items() if ids}


def load_articles(directory: Path = ARTICLES_DIR) -> Dict[str, Article]:
    """Load every ``*.md`` article in ``directory``, keyed by id, checking related ids exist."""
    articles = {a.id: a for a in (parse_article(p) for p in sorted(directory.glob("*.md")))}
    unknown = unknown_related(articles)
    if unknown:
        article_id, ids = next(iter(unknown.items()))
        raise ArticleError(f"{article_id}: unknown related ids {ids}")
    return articles


def articles_fingerprint(directory: Path = ARTICLES_DIR) -> str:
    """Hash of all article files, used to decide whether the index must be rebuilt."""
    digest = hashlib.sha256()
    for path in sorted(directory.glob("*.md")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()
