"""bot.evalset: the evaluation TSV reader and pass rule."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.evalset import EvalLine, load_eval_lines


def write(tmp_path, text):
    path = tmp_path / "eval.tsv"
    path.write_text(text, encoding="utf-8")
    return path


def test_load_eval_lines(tmp_path):
    path = write(tmp_path, (
        "accept\ttext\n"
        "# komentar\n"
        "\n"
        "intent:greet\thalo kak\n"
        "  # komentar menjorok\n"
        "kb:memo-tag | kb:salah-jaringan\tlupa isi memo \"XRP\"\n"
        "intent:report_withdrawal_problem|kb:penarikan-gagal\twd gagal\tpadahal saldo ada\n"
    ))
    lines = load_eval_lines(path)
    assert lines == [
        EvalLine(4, ("intent:greet",), "halo kak"),
        EvalLine(6, ("kb:memo-tag", "kb:salah-jaringan"), 'lupa isi memo "XRP"'),
        EvalLine(7, ("intent:report_withdrawal_problem", "kb:penarikan-gagal"), "wd gagal\tpadahal saldo ada"),
    ]
    assert lines[1].kb_ids() == ("memo-tag", "salah-jaringan")
    assert lines[1].intents() == ()
    assert lines[2].intents() == ("report_withdrawal_problem",)
    assert lines[2].kb_ids() == ("penarikan-gagal",)


def test_missing_tab_is_an_error(tmp_path):
    with pytest.raises(ValueError, match=":2:"):
        load_eval_lines(write(tmp_path, "accept\ttext\nintent:greet halo\n"))


@pytest.mark.parametrize("label", ["greet", "article:memo-tag", "kb:memo-tag|greet"])
def test_labels_need_a_known_prefix(tmp_path, label):
    with pytest.raises(ValueError, match="kb: or intent:"):
        load_eval_lines(write(tmp_path, f"{label}\thalo\n"))


@pytest.mark.parametrize(
    ("kb_article", "intent", "expected"),
    [
        ("penarikan-gagal", None, True),
        (None, "report_withdrawal_problem", True),
        ("penarikan-gagal", "greet", True),
        ("memo-tag", "report_withdrawal_problem", True),
        ("memo-tag", None, False),
        (None, "greet", False),
        ("memo-tag", "greet", False),
        (None, None, False),
        ("", "", False),
    ],
)
def test_passes(kb_article, intent, expected):
    line = EvalLine(1, ("intent:report_withdrawal_problem", "kb:penarikan-gagal"), "wd gagal")
    assert line.passes(kb_article, intent) is expected


def test_intent_only_line_does_not_pass_on_any_article():
    line = EvalLine(1, ("intent:greet",), "halo")
    assert line.passes("reset-kata-sandi", None) is False
    assert line.passes("reset-kata-sandi", "greet") is True


def test_line_without_labels_is_an_error(tmp_path):
    with pytest.raises(ValueError):
        load_eval_lines(write(tmp_path, "accept\ttext\n\thalo kak\n"))


def test_the_benchmarks_build_their_conversations_from_the_dev_split():
    from bench.run_bench import DEV_TSV, TURNS, load_scripts

    scripts = load_scripts()
    assert DEV_TSV.name == "dev.tsv" and len(scripts) >= 50
    assert all(len(script) == TURNS for script in scripts)


def test_the_held_out_splits_misses_are_withheld_from_the_report():
    from bot.evaluate import is_held_out, withhold_misses

    report = {"accuracy": 0.5, "lines": 2, "per_label": {}, "misses": [{"line": 3, "text": "rahasia"}]}
    assert is_held_out(Path("tests/data/test.tsv")) and not is_held_out(Path("tests/data/dev.tsv"))
    withheld = withhold_misses(report)
    assert withheld["misses"] == 1 and "rahasia" not in str(withheld) and withheld["accuracy"] == 0.5
