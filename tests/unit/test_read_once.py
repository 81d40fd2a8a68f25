"""A message's input kind and rule entities are worked out once, in the NLU pipeline, and the action server
reads them from the parse data instead of working them out again."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List

import pytest
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa_sdk import Tracker

import actions.reporting.reading as reading
import nlu.entities as entities_module
from actions.conversation import latest_input_kind, latest_rule_entities
from actions.reporting.flow import handle_message
from actions.reporting.state import ReportState
from nlu.components import CryptoEntityExtractor, IndonesianNormalizer, InputQualityGate
from nlu.datetimes import WIB
from nlu.entities import RULE_EXTRACTOR, Entity, extract_entities
from nlu.input_checks import INPUT_KIND_KEY, InputKind

NOW = datetime(2026, 11, 26, 15, 20, tzinfo=WIB)
REPORT = "wd 150 USDT lewat TRC20 ke TQ5NtSmoWNG6pVRvmBQ6zv3sxeMUkJHc3R belum masuk"


def parse(text: str) -> Dict[str, Any]:
    """What the pipeline's rule components put in the parse data of ``text``."""
    message = Message(data={TEXT: text})
    for component in (CryptoEntityExtractor(), IndonesianNormalizer({}), InputQualityGate()):
        component.process([message])
    return {"text": text, **message.as_dict(only_output_properties=True)}


def tracker_after(text: str, parse_data: Dict[str, Any]) -> Tracker:
    event = {"event": "user", "text": text, "parse_data": parse_data}
    return Tracker("c-1", {}, parse_data, [event], False, None, {}, "action_listen")


def test_the_extractor_is_named_as_the_actions_expect():
    assert CryptoEntityExtractor().name == RULE_EXTRACTOR


@pytest.mark.parametrize("text, kind", [("wd usdt gw nyangkut", InputKind.TEXT), ("😀😀😀", InputKind.SYMBOLS),
                                        ("how do I withdraw my money please", InputKind.FOREIGN),
                                        ("asdfgh qwrtzp zxcvbn", InputKind.JUNK)])
def test_the_actions_read_the_kind_the_pipeline_recorded(text: str, kind: InputKind):
    parse_data = parse(text)
    assert parse_data[INPUT_KIND_KEY] == kind.value
    assert latest_input_kind(tracker_after(text, parse_data)) is kind


def test_the_recorded_kind_is_used_rather_than_classifying_again():
    parse_data = {**parse("wd usdt gw nyangkut"), INPUT_KIND_KEY: InputKind.FOREIGN.value}
    assert latest_input_kind(tracker_after("wd usdt gw nyangkut", parse_data)) is InputKind.FOREIGN


def test_a_message_that_skipped_the_pipeline_is_classified_by_the_action():
    payload = '/choose_article{"article_id": "deposit-idr"}'
    assert latest_input_kind(tracker_after("", {"intent": {"name": "choose_article"}})) is InputKind.EMPTY
    assert latest_rule_entities(tracker_after(payload, {"intent": {"name": "choose_article"}})) is None


def test_the_actions_get_the_pipelines_entities_with_their_spans():
    parse_data = parse(REPORT)
    found = latest_rule_entities(tracker_after(REPORT, parse_data))
    assert found == extract_entities(REPORT)
    assert {e.entity for e in found} >= {"amount", "coin", "network", "wallet_address"}
    assert all(REPORT[e.start:e.end] for e in found)


def test_the_form_reads_the_pipelines_entities_without_extracting_them_again(monkeypatch: pytest.MonkeyPatch):
    found = latest_rule_entities(tracker_after(REPORT, parse(REPORT)))
    expected = handle_message(ReportState(), REPORT, NOW, None, activation=True).state
    calls: List[str] = []
    monkeypatch.setattr(reading, "extract_entities", lambda text: calls.append(text) or extract_entities(text))
    state = handle_message(ReportState(), REPORT, NOW, None, activation=True, entities=found).state
    assert calls == []
    assert state.values == expected.values and state.asset == expected.asset == "USDT"


def test_a_text_the_form_changed_is_read_again(monkeypatch: pytest.MonkeyPatch):
    secret = REPORT + " otp 123456"    # the form reads the text without the OTP: the spans no longer match
    found = latest_rule_entities(tracker_after(secret, parse(secret)))
    calls: List[str] = []
    monkeypatch.setattr(reading, "extract_entities", lambda text: calls.append(text) or extract_entities(text))
    handle_message(ReportState(), secret, NOW, None, activation=True, entities=found)
    assert len(calls) == 1 and calls[0] != secret


def test_extracted_entities_are_a_fresh_list_each_time():
    first = extract_entities(REPORT)
    first.append(Entity("coin", "BTC", 0, 2))
    assert extract_entities(REPORT) != first
    assert entities_module._remembered_entities.cache_info().hits >= 1
