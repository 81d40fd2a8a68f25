"""Report or question? The knowledge base decides which topic a "problem" message is about.

The intent classifier hears words like "deposit" or "wd" and predicts a problem report. Whether the
customer reports their own failed transaction or asks how something works is decided by the
articles themselves: the problem articles' example questions are complaints, the how-to articles'
are questions. When retrieval confidently prefers another article over every problem article, the
message is answered with that article instead of starting the report form.
"""
from __future__ import annotations

from typing import Iterable, List

from kb.retriever import Hit, Retriever

# Report intent -> its problem articles (rupiah, crypto): a customer's own failed deposit or withdrawal.
PROBLEM_ARTICLES_BY_INTENT = {
    "report_deposit_problem": ("deposit-rupiah-belum-masuk", "deposit-kripto-belum-masuk"),
    "report_withdrawal_problem": ("penarikan-gagal", "penarikan-kripto-pending"),
}
PROBLEM_ARTICLES = frozenset(a for pair in PROBLEM_ARTICLES_BY_INTENT.values() for a in pair)
# How far (combined score) the best other article must lead the best problem article. Tuned on the
# dev routing lines (tests/data/routing.tsv), never on the test split.
QUESTION_LEAD = 0.02


def best_problem_score(ranked: Iterable[Hit]) -> float:
    """The combined score of the best-ranked problem article (0 when none is ranked)."""
    return max((hit.score for hit in ranked if hit.article_id in PROBLEM_ARTICLES), default=0.0)


def answers_another_topic(kb: Retriever, ranked: List[Hit], lead: float = QUESTION_LEAD) -> bool:
    """True when the message is confidently about an article other than the problem articles,
    e.g. "cara deposit rupiah" or "salah pilih network pas depo" rather than "deposit saya belum masuk"."""
    if not ranked or ranked[0].article_id in PROBLEM_ARTICLES or not kb.is_confident(ranked):
        return False
    return ranked[0].score - best_problem_score(ranked) >= lead
