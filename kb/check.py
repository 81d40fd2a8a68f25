"""Lint the knowledge-base articles (``python -m kb check``) against kb/ARTICLE_FORMAT.md.

Front matter is validated by :func:`kb.articles.parse_article` itself; this module adds the house rules the
loader does not enforce and the cross-article checks: duplicate and near-duplicate example questions.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Dict, Iterable, List, NamedTuple, Sequence, Tuple

from kb.articles import ARTICLES_DIR, Article, ArticleError, parse_article, unknown_related
from nlu.normalizer import normalize

MIN_QUESTIONS = 8
MIN_BODY_CHARS = 200
MAX_BODY_CHARS = 1000          # the format asks for "at most ~900"; this leaves the "~"
MAX_RELATED = 4
REQUIRED_LINES = ("**Perlu dicek:**", "**Hubungi agen bila:**")
_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_HAS_WORD = re.compile(r"[^\W_]")


@dataclass(frozen=True, order=True)
class Problem:
    """One rule an article file breaks."""

    file: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.message}"


class NearDuplicate(NamedTuple):
    """Texts ``texts_a[a_index]`` and ``texts_b[b_index]`` are ``distance`` tokens apart once normalised."""

    a_index: int
    b_index: int
    distance: int


def comparable_tokens(text: str) -> Tuple[str, ...]:
    """The words of ``text`` after the project's normalisation (slang expanded), punctuation dropped."""
    return tuple(token for token in normalize(text).split() if _HAS_WORD.search(token))


def token_distance(a: Sequence[str], b: Sequence[str]) -> int:
    """Levenshtein distance counted in whole tokens (insert, delete or replace one word)."""
    previous = list(range(len(b) + 1))
    for i, token_a in enumerate(a, 1):
        current = [i]
        for j, token_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (token_a != token_b)))
        previous = current
    return previous[-1]


def _deletion_keys(tokens: Tuple[str, ...], max_deletions: int) -> Iterable[Tuple[str, ...]]:
    """``tokens`` with up to ``max_deletions`` tokens removed: two sequences within that edit distance
    always share one of these keys, so only texts sharing a key need the exact comparison."""
    for count in range(min(max_deletions, len(tokens)) + 1):
        for dropped in combinations(range(len(tokens)), count):
            yield tuple(t for i, t in enumerate(tokens) if i not in dropped)


def near_duplicates(texts_a: Sequence[str], texts_b: Sequence[str],
                    max_token_distance: int = 1, min_tokens: int = 1) -> List[NearDuplicate]:
    """Pairs of texts, one from each list, whose normalised words are at most ``max_token_distance`` tokens
    apart (0: the same after normalisation). Texts without any word, or with fewer than ``min_tokens``
    words (e.g. "iya", "makasih kak": every short phrasing is near another one), are ignored. Sorted by index."""
    def tokens_of(text: str) -> Tuple[str, ...]:
        tokens = comparable_tokens(text)
        return tokens if len(tokens) >= min_tokens else ()

    tokens_a = [tokens_of(text) for text in texts_a]
    tokens_b = [tokens_of(text) for text in texts_b]
    keys: Dict[Tuple[str, ...], List[int]] = defaultdict(list)
    for j, tokens in enumerate(tokens_b):
        if tokens:
            for key in set(_deletion_keys(tokens, max_token_distance)):
                keys[key].append(j)
    found: Dict[Tuple[int, int], int] = {}
    for i, tokens in enumerate(tokens_a):
        if not tokens:
            continue
        candidates = {j for key in set(_deletion_keys(tokens, max_token_distance)) for j in keys.get(key, ())}
        for j in candidates:
            distance = token_distance(tokens, tokens_b[j])
            if distance <= max_token_distance:
                found[(i, j)] = distance
    return [NearDuplicate(i, j, d) for (i, j), d in sorted(found.items())]


def article_problems(article: Article) -> List[str]:
    """House-format rules for one parsed article (front matter is already valid)."""
    problems = []
    if not _ID.fullmatch(article.id):
        problems.append(f"id {article.id!r} must be lowercase words joined by hyphens")
    if len(article.questions) < MIN_QUESTIONS:
        problems.append(f"{len(article.questions)} example questions (at least {MIN_QUESTIONS})")
    seen = set()
    for question in article.questions:
        if question.casefold() in seen:
            problems.append(f"question repeated in the article: {question!r}")
        seen.add(question.casefold())
    if article.title.casefold() in seen:
        problems.append("the title is repeated as an example question")
    if not MIN_BODY_CHARS <= len(article.body) <= MAX_BODY_CHARS:
        problems.append(f"body has {len(article.body)} characters ({MIN_BODY_CHARS}-{MAX_BODY_CHARS})")
    body_lines = [line.strip() for line in article.body.splitlines()]
    for marker in REQUIRED_LINES:
        if not any(line.startswith(marker) and line[len(marker):].strip() for line in body_lines):
            problems.append(f"missing the line {marker} <text>")
    if article.id in article.related:
        problems.append("related lists the article itself")
    if not 1 <= len(article.related) <= MAX_RELATED:
        problems.append(f"{len(article.related)} related ids (1-{MAX_RELATED})")
    return problems


def question_overlaps(articles: Sequence[Article], max_token_distance: int = 1) -> List[Problem]:
    """Example questions of different articles that are equal or nearly equal after normalisation."""
    owners = [(article, question) for article in articles for question in article.questions]
    texts = [question for _, question in owners]
    problems = []
    for i, j, distance in near_duplicates(texts, texts, max_token_distance):
        (first, q1), (second, q2) = owners[i], owners[j]
        if i < j and first.id != second.id:
            apart = f"{distance} token{'s' * (distance > 1)} apart"
            kind = "duplicate question" if distance == 0 else f"near-duplicate question ({apart})"
            problems.append(Problem(first.path.name, f"{kind}: {q1!r} ~ {second.path.name}: {q2!r}"))
    return problems


def check_articles(directory: Path = ARTICLES_DIR) -> Tuple[int, List[Problem]]:
    """Lint every ``*.md`` file in ``directory``. Returns (number of files, problems sorted by file)."""
    paths = sorted(directory.glob("*.md"))
    if not paths:
        return 0, [Problem(str(directory), "no *.md articles found")]
    problems: List[Problem] = []
    articles: Dict[str, Article] = {}
    for path in paths:
        try:
            article = parse_article(path)
        except ArticleError as error:
            problems.append(Problem(path.name, str(error).removeprefix(f"{path.name}: ")))
            continue
        articles[article.id] = article
        problems += [Problem(path.name, message) for message in article_problems(article)]
    unparsed = {path.stem for path in paths} - set(articles)   # already reported; not "unknown" as well
    for article_id, ids in unknown_related(articles).items():
        ids = [related for related in ids if related not in unparsed]
        if ids:
            problems.append(Problem(articles[article_id].path.name, f"unknown related ids {ids}"))
    problems += question_overlaps(list(articles.values()))
    return len(paths), sorted(problems)


def report(file_count: int, problems: Sequence[Problem]) -> str:
    """Readable summary for the command line."""
    if not problems:
        return f"kb check: {file_count} articles OK"
    if not file_count:
        return f"kb check: {problems[0]}"
    files = len({p.file for p in problems})
    lines = [f"kb check: {len(problems)} problem{'s' * (len(problems) > 1)} in {files} of {file_count} articles"]
    return "\n".join(lines + [f"  {problem}" for problem in problems])
