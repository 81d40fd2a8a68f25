"""kb.articles: the real knowledge base and the article parser."""
from __future__ import annotations

import re

import pytest

from kb.articles import (
    ARTICLES_DIR,
    CATEGORIES,
    Article,
    ArticleError,
    articles_fingerprint,
    load_articles,
    parse_article,
)
from tests.unit.samples import REQUIRED_KB_IDS, article_text, write_kb

EXCHANGES = ("binance", "indodax", "tokocrypto", "pintu", "coinbase", "kraken", "okx", "bybit", "kucoin", "reku",
             "upbit")


@pytest.fixture(scope="module")
def articles():
    return load_articles()


def test_knowledge_base_size(articles):
    assert len(articles) >= 40


def test_required_articles_exist(articles):
    missing = [aid for aid in REQUIRED_KB_IDS if aid not in articles]
    assert missing == []


def test_every_article_is_complete(articles):
    for aid, article in articles.items():
        assert isinstance(article, Article)
        assert article.id == aid == article.path.stem
        assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", aid), aid
        assert article.category in CATEGORIES, aid
        assert article.title, aid
        assert len(article.questions) >= 5, aid
        assert all(q for q in article.questions), aid
        assert len(set(q.casefold() for q in article.questions)) == len(article.questions), f"{aid}: duplicates"
        assert article.title.casefold() not in {q.casefold() for q in article.questions}, aid
        assert article.body, aid
        assert article.searchable_texts() == [article.title, *article.questions]


def test_related_ids_exist_and_are_not_self(articles):
    for aid, article in articles.items():
        assert 1 <= len(article.related) <= 4, aid
        assert aid not in article.related, aid
        assert set(article.related) <= set(articles), aid


def test_every_category_is_used(articles):
    assert {a.category for a in articles.values()} == set(CATEGORIES)


def test_bodies_never_name_a_real_exchange(articles):
    pattern = re.compile(rf"\b({'|'.join(EXCHANGES)})\b", re.IGNORECASE)
    offenders = {aid: pattern.findall(a.body + " " + a.title) for aid, a in articles.items()}
    assert {aid: names for aid, names in offenders.items() if names} == {}


def test_bodies_follow_the_house_format(articles):
    for aid, article in articles.items():
        assert "**Hubungi agen bila:**" in article.body, aid
        assert len(article.body) <= 1500, aid


# ---- malformed files -------------------------------------------------------------------------------

GOOD = article_text("contoh", "Judul", "akun", ["q1", "q2"], "Isi artikel.")


def write(tmp_path, name, text):
    path = tmp_path / f"{name}.md"
    path.write_text(text, encoding="utf-8")
    return path


def test_parse_valid_article(tmp_path):
    article = parse_article(write(tmp_path, "contoh", GOOD))
    assert article.id == "contoh"
    assert article.title == "Judul"
    assert article.category == "akun"
    assert article.questions == ("q1", "q2")
    assert article.related == ()
    assert article.body == "Isi artikel."


def test_windows_line_endings_are_accepted(tmp_path):
    article = parse_article(write(tmp_path, "contoh", GOOD.replace("\n", "\r\n")))
    assert article.questions == ("q1", "q2")


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("kosong", "", "missing front matter"),
        ("tanpa", "Hanya isi tanpa front matter\n", "missing front matter"),
        ("tanpa-penutup", "---\nid: tanpa-penutup\ntitle: x\n", "missing front matter"),
        ("kurang", "---\nid: kurang\ntitle: T\n---\nisi\n", "missing"),
        ("beda", GOOD.replace("id: contoh", "id: lain"), "does not match"),
        ("contoh", GOOD.replace("category: akun", "category: gosip"), "unknown category"),
        ("skalar", "---\nhanya teks\n---\nisi\n", "mapping"),
    ],
)
def test_malformed_articles_raise_article_error(tmp_path, name, text, message):
    with pytest.raises(ArticleError, match=message) as error:
        parse_article(write(tmp_path, name, text))
    assert f"{name}.md" in str(error.value)


def test_unknown_related_id_raises(tmp_path):
    write(tmp_path, "contoh", article_text("contoh", "Judul", "akun", ["q"], "Isi.", related=["tidak-ada"]))
    with pytest.raises(ArticleError, match="tidak-ada"):
        load_articles(tmp_path)


def test_load_articles_ignores_other_files(tmp_path):
    write_kb(tmp_path)
    (tmp_path / "README.txt").write_text("bukan artikel", encoding="utf-8")
    assert set(load_articles(tmp_path)) == {"reset-kata-sandi", "deposit-kripto", "biaya-trading", "penipuan"}


def test_fingerprint_changes_with_content(tmp_path):
    write_kb(tmp_path)
    before = articles_fingerprint(tmp_path)
    assert articles_fingerprint(tmp_path) == before
    path = tmp_path / "penipuan.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nTambahan.", encoding="utf-8")
    assert articles_fingerprint(tmp_path) != before
    assert articles_fingerprint(ARTICLES_DIR) != before


def test_invalid_yaml_raises_article_error(tmp_path):
    with pytest.raises(ArticleError):
        parse_article(write(tmp_path, "rusak", "---\nid: [rusak\ntitle: x\n---\nisi\n"))


@pytest.mark.parametrize("questions", ["questions: lupa pw", "questions:"])
def test_questions_must_be_a_list(tmp_path, questions):
    text = GOOD.replace("questions:\n  - q1\n  - q2", questions)
    assert text != GOOD
    with pytest.raises(ArticleError):
        parse_article(write(tmp_path, "contoh", text))
