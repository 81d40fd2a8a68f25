"""actions.routing: a message the classifier took for a problem report is answered as a question when the
knowledge base confidently prefers another article (real retriever, real articles)."""
from __future__ import annotations

import pytest

from actions.routing import PROBLEM_ARTICLES, answers_another_topic, best_problem_score
from kb.retriever import Hit


@pytest.mark.parametrize("text", [
    "cara deposit rupiah", "gimana cara wd usdt ke wallet lain", "salah pilih network pas depo usdt",
    "depo XLM tanpa memo",
])
def test_questions_about_another_article_are_answered(real_retriever, text):
    ranked = real_retriever.search(text, top_k=len(real_retriever.articles))
    assert answers_another_topic(real_retriever, ranked)


@pytest.mark.parametrize("text", [
    "wd saya gagal", "deposit rupiah saya belum masuk dari kemarin", "penarikan rupiah saya gagal",
    "TOLONG WD 100 USDT TRC20 SAYA NYANGKUT DARI SEMALEM!!!", "cara deposit kok belum masuk",
])
def test_own_problems_stay_reports(real_retriever, text):
    ranked = real_retriever.search(text, top_k=len(real_retriever.articles))
    assert not answers_another_topic(real_retriever, ranked)


def test_a_problem_article_on_top_or_an_unsure_ranking_is_never_rerouted(real_retriever):
    problem = Hit("penarikan-gagal", "t", 0.95, 0.9, 0.9)
    other = Hit("deposit-rupiah", "t", 0.95, 0.9, 0.9)
    assert not answers_another_topic(real_retriever, [problem, other])
    assert not answers_another_topic(real_retriever, [])
    weak = Hit("deposit-rupiah", "t", 0.5, 0.5, 0.5)
    assert not answers_another_topic(real_retriever, [weak, Hit("penarikan-gagal", "t", 0.3, 0.3, 0.3)])


def test_the_lead_over_the_best_problem_article_decides(real_retriever):
    top = Hit("deposit-rupiah", "t", 0.95, 0.9, 0.9)
    close_problem = Hit("deposit-rupiah-belum-masuk", "t", 0.94, 0.9, 0.9)
    assert best_problem_score([top, close_problem]) == 0.94
    assert not answers_another_topic(real_retriever, [top, close_problem], lead=0.02)
    assert answers_another_topic(real_retriever, [top, Hit("penarikan-gagal", "t", 0.5, 0.5, 0.5)], lead=0.02)
    assert PROBLEM_ARTICLES == {"deposit-rupiah-belum-masuk", "deposit-kripto-belum-masuk", "penarikan-gagal",
                                "penarikan-kripto-pending"}
