"""kb.check: the article linter (``python -m kb check``) and the near-duplicate comparison it shares."""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kb.__main__ import main
from kb.check import (
    MAX_BODY_CHARS,
    MIN_BODY_CHARS,
    MIN_QUESTIONS,
    NearDuplicate,
    check_articles,
    comparable_tokens,
    near_duplicates,
    token_distance,
)
from tests.unit.samples import article_text

BODY = (
    "Anda bisa menyelesaikannya sendiri dalam beberapa menit lewat aplikasi.\n\n"
    "1. Buka menu **Akun**, lalu pilih pengaturan yang sesuai.\n"
    "2. Ikuti petunjuk di layar sampai selesai.\n\n"
    "**Perlu dicek:** koneksi internet dan versi aplikasi terbaru.\n"
    "**Hubungi agen bila:** langkah di atas tidak berhasil."
)
QUESTIONS = {
    "reset-kata-sandi": ["lupa password gimana", "cara mengatur ulang kata sandi", "pw gw lupa gabisa login",
                         "link reset sandi tidak datang", "mau ganti kata sandi akun", "sandi salah terus",
                         "reset pw lewat email", "kata sandi lama tidak ingat"],
    "deposit-kripto": ["cara deposit kripto", "kirim usdt dari wallet lain ke sini", "alamat deposit btc dimana",
                       "depo eth pakai jaringan apa", "minimal deposit kripto berapa", "deposit koin ke akun",
                       "jaringan deposit yang didukung", "salin alamat dompet deposit"],
    "biaya-trading": ["berapa biaya trading", "fee maker taker berapa persen", "kok beli koin kena potongan",
                      "diskon biaya volume besar", "biaya jual beli kripto", "potongan transaksi jual",
                      "fee order limit dan market", "rincian biaya di layar order"],
}
RELATED = {"reset-kata-sandi": ["deposit-kripto"], "deposit-kripto": ["biaya-trading"],
           "biaya-trading": ["reset-kata-sandi", "deposit-kripto"]}


def write_article(directory: Path, article_id: str, **changes) -> Path:
    """Write a valid article (or one with ``changes`` to its fields) and return its path."""
    spec = dict(title=f"Judul {article_id}", category="akun", questions=QUESTIONS.get(article_id, []),
                body=BODY, related=RELATED.get(article_id, []))
    spec.update(changes)
    path = directory / f"{article_id}.md"
    path.write_text(article_text(article_id, spec["title"], spec["category"], spec["questions"], spec["body"],
                                 spec["related"]), encoding="utf-8")
    return path


@pytest.fixture
def kb_dir(tmp_path: Path) -> Path:
    """Three articles that break no rule."""
    for article_id in QUESTIONS:
        write_article(tmp_path, article_id)
    return tmp_path


def problems_by_file(directory: Path) -> Dict[str, List[str]]:
    result: Dict[str, List[str]] = {}
    for problem in check_articles(directory)[1]:
        result.setdefault(problem.file, []).append(problem.message)
    return result


def test_valid_articles_pass_and_the_command_exits_0(kb_dir, capsys):
    assert check_articles(kb_dir) == (3, [])
    assert main(["check", "--directory", str(kb_dir)]) == 0
    assert capsys.readouterr().out.strip() == "kb check: 3 articles OK"


def test_command_lists_problems_and_exits_1(kb_dir, capsys):
    write_article(kb_dir, "deposit-kripto", questions=QUESTIONS["deposit-kripto"][:3])
    (kb_dir / "rusak.md").write_text("tanpa front matter\n", encoding="utf-8")
    assert main(["check", "--directory", str(kb_dir)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "kb check: 2 problems in 2 of 4 articles"
    assert out[1:] == [f"  deposit-kripto.md: 3 example questions (at least {MIN_QUESTIONS})",
                       "  rusak.md: missing front matter"]


@pytest.mark.parametrize(("text", "message"), [
    ("---\nid: reset-kata-sandi\ntitle: T\n---\nisi\n", "missing ['category', 'questions']"),
    (None, "id 'lain' does not match the file name"),
    (None, "unknown category 'gosip'"),
])
def test_front_matter_problems_come_from_the_parser(kb_dir, text, message):
    path = kb_dir / "reset-kata-sandi.md"
    if text is None:
        original = path.read_text(encoding="utf-8")
        text = (original.replace("id: reset-kata-sandi", "id: lain") if "id 'lain'" in message
                else original.replace("category: akun", "category: gosip"))
    path.write_text(text, encoding="utf-8")
    # The broken article is reported once; articles relating to it are not also told its id is unknown.
    assert problems_by_file(kb_dir) == {"reset-kata-sandi.md": [message]}


def test_missing_or_empty_directory_is_a_problem(tmp_path, capsys):
    assert main(["check", "--directory", str(tmp_path / "nothing")]) == 1
    assert "no *.md articles found" in capsys.readouterr().out


def test_too_few_questions(kb_dir):
    write_article(kb_dir, "biaya-trading", questions=QUESTIONS["biaya-trading"][:MIN_QUESTIONS - 1])
    assert problems_by_file(kb_dir) == {"biaya-trading.md": [f"7 example questions (at least {MIN_QUESTIONS})"]}


def test_repeated_question_and_title_within_an_article(kb_dir):
    questions = QUESTIONS["biaya-trading"] + ["Berapa biaya trading"]
    write_article(kb_dir, "biaya-trading", questions=questions, title="Fee maker taker berapa persen")
    assert problems_by_file(kb_dir) == {"biaya-trading.md": [
        "question repeated in the article: 'Berapa biaya trading'",
        "the title is repeated as an example question",
    ]}


@pytest.mark.parametrize("length", [MIN_BODY_CHARS - 1, MAX_BODY_CHARS + 1])
def test_body_length(kb_dir, length):
    intro = "Penjelasan tambahan yang panjang. " * 40
    body = intro[:length - len(BODY) - 1].strip().ljust(length - len(BODY) - 1, ".") + "\n" + BODY \
        if length > len(BODY) else BODY[-length:]
    assert len(body) == length
    write_article(kb_dir, "deposit-kripto", body=body)
    assert problems_by_file(kb_dir) == {
        "deposit-kripto.md": [f"body has {length} characters ({MIN_BODY_CHARS}-{MAX_BODY_CHARS})"]}


@pytest.mark.parametrize("marker", ["**Perlu dicek:**", "**Hubungi agen bila:**"])
@pytest.mark.parametrize("how", ["removed", "empty", "not at line start"])
def test_required_lines(kb_dir, marker, how):
    line = next(line for line in BODY.splitlines() if line.startswith(marker))
    replacement = {"removed": "Baris lain yang cukup panjang.", "empty": marker,
                   "not at line start": f"Catatan {line}"}[how]
    write_article(kb_dir, "reset-kata-sandi", body=BODY.replace(line, replacement))
    assert problems_by_file(kb_dir) == {"reset-kata-sandi.md": [f"missing the line {marker} <text>"]}


@pytest.mark.parametrize(("related", "messages"), [
    (["tidak-ada", "deposit-kripto"], ["unknown related ids ['tidak-ada']"]),
    (["reset-kata-sandi"], ["related lists the article itself"]),
    ([], ["0 related ids (1-4)"]),
    (["deposit-kripto", "biaya-trading", "a", "b", "c"],
     ["5 related ids (1-4)", "unknown related ids ['a', 'b', 'c']"]),
])
def test_related_ids(kb_dir, related, messages):
    write_article(kb_dir, "reset-kata-sandi", related=related)
    assert sorted(problems_by_file(kb_dir)["reset-kata-sandi.md"]) == sorted(messages)


def test_bad_id_format(kb_dir):
    write_article(kb_dir, "Deposit_Baru", questions=[f"pertanyaan unik nomor {n}" for n in range(8)],
                  related=["biaya-trading"])
    assert problems_by_file(kb_dir) == {
        "Deposit_Baru.md": ["id 'Deposit_Baru' must be lowercase words joined by hyphens"]}


def test_duplicate_question_between_articles_after_normalisation(kb_dir):
    # "Lupa PW gimana??" is "lupa password gimana" of reset-kata-sandi once slang and punctuation are normalised.
    write_article(kb_dir, "deposit-kripto", questions=QUESTIONS["deposit-kripto"] + ["Lupa PW gimana??"])
    assert problems_by_file(kb_dir) == {"deposit-kripto.md": [
        "duplicate question: 'Lupa PW gimana??' ~ reset-kata-sandi.md: 'lupa password gimana'"]}


def test_near_duplicate_question_between_articles(kb_dir):
    # One word replaced ("ganti" -> "ubah"): flagged. Two words replaced: not flagged.
    write_article(kb_dir, "biaya-trading", questions=QUESTIONS["biaya-trading"] + [
        "mau ubah kata sandi akun", "mau ubah kata sandi dompet"])
    assert problems_by_file(kb_dir) == {"biaya-trading.md": [
        "near-duplicate question (1 token apart): 'mau ubah kata sandi akun' ~ "
        "reset-kata-sandi.md: 'mau ganti kata sandi akun'"]}


def test_similar_questions_within_one_article_are_allowed(kb_dir):
    write_article(kb_dir, "biaya-trading", questions=QUESTIONS["biaya-trading"] + ["berapa biaya trading ya"])
    assert check_articles(kb_dir)[1] == []


# ---- near_duplicates (also used for the evaluation leakage check) ---------------------------------

def test_near_duplicates_reports_index_pairs_and_distances():
    kb = ["lupa password gimana", "wd gagal terus", "cara daftar akun baru"]
    lines = ["Lupa pw gimana?", "wd pending terus", "mau daftar akun", "??", "cara daftar"]
    assert near_duplicates(lines, kb) == [NearDuplicate(0, 0, 0), NearDuplicate(1, 1, 1)]
    assert near_duplicates(lines, kb, max_token_distance=0) == [NearDuplicate(0, 0, 0)]
    assert NearDuplicate(2, 2, 2) in near_duplicates(lines, kb, max_token_distance=2)
    assert NearDuplicate(4, 2, 2) in near_duplicates(lines, kb, max_token_distance=2)


@pytest.mark.parametrize(("a", "b", "distance"), [
    ("a b c", "a b c", 0), ("a b c", "a x c", 1), ("a b c", "a b", 1), ("a c", "a b c", 1),
    ("a b", "b a", 2), ("", "a b", 2), ("a b c d", "x a b c", 2),
])
def test_token_distance(a, b, distance):
    assert token_distance(a.split(), b.split()) == distance == token_distance(b.split(), a.split())


def test_texts_without_words_are_ignored():
    assert comparable_tokens(" ?! ...") == ()
    assert near_duplicates(["?", ""], ["!", "ok"]) == []


WORDS = st.sampled_from(["akun", "saldo", "wd", "depo", "gagal", "masuk", "belum", "kripto"])
TEXTS = st.lists(st.lists(WORDS, max_size=5).map(" ".join), max_size=8)


@given(TEXTS, TEXTS, st.integers(min_value=0, max_value=2))
def test_near_duplicates_finds_exactly_the_pairs_a_full_comparison_finds(texts_a, texts_b, limit):
    tokens_a = [comparable_tokens(t) for t in texts_a]
    tokens_b = [comparable_tokens(t) for t in texts_b]
    expected = [NearDuplicate(i, j, token_distance(a, b)) for i, a in enumerate(tokens_a)
                for j, b in enumerate(tokens_b) if a and b and token_distance(a, b) <= limit]
    assert near_duplicates(texts_a, texts_b, limit) == expected


def test_the_real_knowledge_base_passes_its_own_check():
    from kb.articles import ARTICLES_DIR

    count, problems = check_articles(ARTICLES_DIR)
    assert count >= 80
    assert [str(p) for p in problems] == []


def test_short_texts_can_be_left_out_of_the_comparison():
    assert near_duplicates(["oke kak"], ["oke min"]) != []
    assert near_duplicates(["oke kak"], ["oke min"], min_tokens=3) == []
    assert near_duplicates(["wd gagal terus nih"], ["wd gagal terus dong"], min_tokens=3) != []
