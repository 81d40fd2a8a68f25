"""tests/data/*.tsv: size, coverage, valid labels, and no leakage between training text, dev and test.

Leakage is judged after the project's own normalisation (slang, typos, abbreviations expanded): a line of
three words or more within one token of a training example, an article question or (for test) a dev line is
a near-duplicate. Shorter lines ("iya", "makasih kak") are exempt: every short phrasing is near another one.
"""
from __future__ import annotations

import re
from typing import Dict, List

import pytest
import yaml

from bot.evalset import EvalLine, load_eval_lines
from kb.articles import load_articles
from kb.check import near_duplicates
from tests.unit.samples import DEV_FILE, NLU_DIR, REQUIRED_INTENTS, REQUIRED_KB_IDS, ROUTING_FILE, TEST_FILE

MIN_TOKENS = 3
KNOWN_INTENTS = set(REQUIRED_INTENTS) | {"ask_knowledge", "share_secret", "request_data_access",
                                          "request_data_erasure"}


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


@pytest.fixture(scope="module")
def splits() -> Dict[str, List[EvalLine]]:
    return {path.stem: load_eval_lines(path) for path in (DEV_FILE, ROUTING_FILE, TEST_FILE)}


@pytest.fixture(scope="module")
def articles():
    return load_articles()


def _training_examples() -> Dict[str, str]:
    examples = {}
    for path in sorted(NLU_DIR.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in data.get("nlu", []):
            for raw in str(block.get("examples", "")).splitlines():
                raw = raw.strip()
                if raw.startswith("- "):
                    examples[raw[2:]] = f"{path.name}:{block.get('intent')}"
    return examples


def _training_texts(articles) -> List[str]:
    texts = list(_training_examples())
    texts += [text for article in articles.values() for text in article.searchable_texts()]
    return texts


def test_splits_are_large_enough(splits):
    assert len(splits["dev"]) >= 150
    assert len(splits["test"]) >= 200
    for lines in splits.values():
        assert all(line.text and line.accept for line in lines)


@pytest.mark.parametrize("split", ["dev", "test"])
def test_every_required_article_and_intent_is_evaluated(splits, split):
    covered_kb = {aid for line in splits[split] for aid in line.kb_ids()}
    covered_intents = {intent for line in splits[split] for intent in line.intents()}
    assert [aid for aid in REQUIRED_KB_IDS if aid not in covered_kb] == []
    assert [intent for intent in REQUIRED_INTENTS if intent not in covered_intents] == []


def test_the_test_split_covers_every_article(splits, articles):
    covered = {aid for line in splits["test"] for aid in line.kb_ids()}
    assert sorted(set(articles) - covered) == []


def test_labels_name_existing_articles_and_known_intents(splits, articles):
    unknown = [(name, line.line_no, label) for name, lines in splits.items() for line in lines
               for label in (*line.kb_ids(), *line.intents()) if label not in articles and label not in KNOWN_INTENTS]
    assert unknown == []


def test_routing_lines_hold_twenty_of_each_kind(splits):
    reports = [line for line in splits["routing"] if line.intents()]
    questions = [line for line in splits["routing"] if not line.intents()]
    assert len(reports) >= 20 and len(questions) >= 20
    starts_like_a_question = re.compile(r"^(min |kak )?(mau|ingin|pengen|mo)\b", re.IGNORECASE)
    assert sum(bool(starts_like_a_question.match(line.text)) for line in reports) >= 10


def test_texts_are_unique_within_each_split(splits):
    for lines in splits.values():
        keys = [_key(line.text) for line in lines]
        assert sorted({key for key in keys if keys.count(key) > 1}) == []


def test_training_examples_are_loaded():
    examples = {_key(text) for text in _training_examples()}
    assert len(examples) > 500
    assert "halo admin" in examples


@pytest.mark.parametrize("split", ["dev", "routing", "test"])
def test_no_line_is_a_near_duplicate_of_training_text(splits, articles, split):
    texts, training = [line.text for line in splits[split]], _training_texts(articles)
    leaked = [(texts[d.a_index], training[d.b_index])
              for d in near_duplicates(texts, training, min_tokens=MIN_TOKENS)]
    assert leaked == []


def test_no_test_line_is_a_near_duplicate_of_a_dev_line(splits):
    dev = [line.text for name in ("dev", "routing") for line in splits[name]]
    test = [line.text for line in splits["test"]]
    assert [(test[d.a_index], dev[d.b_index]) for d in near_duplicates(test, dev, min_tokens=MIN_TOKENS)] == []
