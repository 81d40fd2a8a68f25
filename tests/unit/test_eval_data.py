"""tests/data/eval.tsv: size, coverage, valid labels and no leakage from the training data."""
from __future__ import annotations

import re

import pytest
import yaml

from bot.evalset import load_eval_lines
from kb.articles import load_articles
from tests.unit.samples import EVAL_FILE, NLU_DIR, REQUIRED_INTENTS, REQUIRED_KB_IDS


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


@pytest.fixture(scope="module")
def lines():
    return load_eval_lines(EVAL_FILE)


@pytest.fixture(scope="module")
def articles():
    return load_articles()


def _training_examples():
    examples = {}
    for path in sorted(NLU_DIR.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in data.get("nlu", []):
            for raw in str(block.get("examples", "")).splitlines():
                raw = raw.strip()
                if raw.startswith("- "):
                    examples[_key(raw[2:])] = f"{path.name}:{block.get('intent')}"
    return examples


def test_eval_file_is_large_enough(lines):
    assert len(lines) >= 150
    assert all(line.text for line in lines)
    assert all(line.accept for line in lines)


def test_every_required_article_is_evaluated(lines):
    covered = {aid for line in lines for aid in line.kb_ids()}
    assert [aid for aid in REQUIRED_KB_IDS if aid not in covered] == []


def test_every_required_intent_is_evaluated(lines):
    covered = {intent for line in lines for intent in line.intents()}
    assert [intent for intent in REQUIRED_INTENTS if intent not in covered] == []


def test_kb_labels_name_existing_articles(lines, articles):
    unknown = [(line.line_no, aid) for line in lines for aid in line.kb_ids() if aid not in articles]
    assert unknown == []


def test_intent_labels_are_known_intents(lines):
    known = set(REQUIRED_INTENTS)
    unknown = [(line.line_no, i) for line in lines for i in line.intents() if i not in known]
    assert unknown == []


def test_eval_texts_are_unique(lines):
    keys = [_key(line.text) for line in lines]
    assert sorted({key for key in keys if keys.count(key) > 1}) == []


def test_training_examples_are_loaded():
    examples = _training_examples()
    assert len(examples) > 500
    assert "halo admin" in examples


def test_no_eval_text_is_an_nlu_training_example(lines):
    examples = _training_examples()
    leaked = [(line.line_no, line.text, examples[_key(line.text)]) for line in lines if _key(line.text) in examples]
    assert leaked == []


def test_no_eval_text_is_an_article_question_or_title(lines, articles):
    kb_texts = {_key(text): aid for aid, article in articles.items() for text in article.searchable_texts()}
    leaked = [(line.line_no, line.text, kb_texts[_key(line.text)]) for line in lines if _key(line.text) in kb_texts]
    assert leaked == []
