"""kb.lexical: normalised analysis, character n-grams and BM25."""
from __future__ import annotations

import pytest

from kb.lexical import BM25, STOPWORDS, analyse, char_ngrams


def test_char_ngrams_with_boundaries():
    assert char_ngrams("tarik") == ["<tar", "tari", "arik", "rik>"]
    assert char_ngrams("tarik", size=3) == ["<ta", "tar", "ari", "rik", "ik>"]
    assert char_ngrams("wd") == ["<wd>"]
    assert char_ngrams("ab") == ["<ab>"]
    assert char_ngrams("abc") == ["<abc", "abc>"]


def test_ngrams_link_affixed_forms():
    # "penarikan" and "tarik" share n-grams although no stemmer is used.
    assert set(char_ngrams("penarikan")) & set(char_ngrams("tarik"))


def test_analyse_normalises_and_drops_stopwords():
    # "gimana" -> "bagaimana", "wd" -> "penarikan"; stopwords and punctuation disappear.
    assert analyse("gimana cara wd saya??") == ["penarikan", *char_ngrams("penarikan")]


def test_analyse_puts_words_before_ngrams():
    terms = analyse("lupa pw")
    assert terms[:3] == ["lupa", "kata", "sandi"]
    assert set(terms[3:]) == set(char_ngrams("lupa") + char_ngrams("kata") + char_ngrams("sandi"))


@pytest.mark.parametrize("text", ["", "   ", "saya mau apa", "gimana caranya kak?", "😭"])
def test_analyse_of_stopwords_or_nothing_is_empty(text):
    assert analyse(text) == []


def test_stopwords_are_normalised_forms():
    # Stopwords are compared after normalisation, so slang spellings must not be listed.
    assert "gw" not in STOPWORDS and "saya" in STOPWORDS


def test_bm25_ranks_documents_with_the_term():
    bm25 = BM25([["deposit", "rupiah"], ["penarikan", "kripto"], ["deposit", "kripto"]])
    scores = bm25.scores(["penarikan"])
    assert scores[1] > 0 and scores[0] == scores[2] == 0


def test_bm25_rare_terms_weigh_more():
    bm25 = BM25([["deposit", "rupiah"], ["deposit", "kripto"], ["deposit", "memo"]])
    scores = bm25.scores(["deposit", "memo"])
    assert scores[2] == max(scores)
    assert scores[0] == scores[1] > 0


def test_bm25_term_frequency_saturates():
    bm25 = BM25([["x"], ["x", "x"], ["x"] * 8, ["q"]])
    one, two, eight, none = bm25.scores(["x"])
    assert none == 0 and one < two < eight
    # Each extra occurrence adds less than the one before: six more add less than six times the second.
    assert eight - two < 6 * (two - one)
    assert eight < 8 * one


def test_bm25_prefers_shorter_documents_for_the_same_match():
    bm25 = BM25([["x", "a"], ["x", "a", "b", "c", "d", "e", "f", "g"]])
    short, long = bm25.scores(["x"])
    assert short > long > 0


def test_bm25_duplicate_query_terms_count_once():
    bm25 = BM25([["x", "y"], ["y"]])
    assert bm25.scores(["x", "x", "x"]) == bm25.scores(["x"])


def test_bm25_unknown_or_empty_query():
    bm25 = BM25([["a"], ["b"]])
    assert bm25.scores(["zzz"]) == [0.0, 0.0]
    assert bm25.scores([]) == [0.0, 0.0]


def test_bm25_empty_corpus():
    assert BM25([]).scores(["a"]) == []
