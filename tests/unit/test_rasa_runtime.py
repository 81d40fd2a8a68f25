"""bot.rasa_runtime: the cached action-response validator accepts and rejects exactly like Rasa's."""
from __future__ import annotations

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from bot import rasa_runtime

VALID = {"events": [{"event": "slot", "name": "kb_article", "value": "memo-tag"}],
         "responses": [{"text": "halo", "buttons": [{"title": "Ya", "payload": "/affirm"}]}]}
INVALID = [
    {"events": "not a list"},
    {"events": [{"no_event_key": 1}]},
    {"responses": [{"buttons": "x"}], "events": [{"event": 42}]},
]


def test_valid_response_passes():
    assert rasa_runtime.validate_action_result(None, VALID) is True
    jsonschema.validate(VALID, RemoteAction.action_response_format_spec())


@pytest.mark.parametrize("response", INVALID)
def test_invalid_response_raises_like_rasa(response):
    with pytest.raises(jsonschema.ValidationError) as ours:
        rasa_runtime.validate_action_result(None, response)
    with pytest.raises(jsonschema.ValidationError) as original:
        jsonschema.validate(response, RemoteAction.action_response_format_spec())
    assert ours.value.message.startswith(original.value.message)
    assert "Failed to validate Action server response" in ours.value.message


def test_apply_installs_the_replacement():
    original = RemoteAction._validate_action_result
    try:
        rasa_runtime.apply()
        assert RemoteAction._validate_action_result is rasa_runtime.validate_action_result
    finally:
        RemoteAction._validate_action_result = original
