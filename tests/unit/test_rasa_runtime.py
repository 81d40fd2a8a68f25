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


def test_action_health_url_is_derived_from_the_webhook_url():
    from bot.rasa_runtime import action_health_url
    assert action_health_url("http://127.0.0.1:5055/webhook") == "http://127.0.0.1:5055/health"
    assert action_health_url("http://actions:5055/webhook/") == "http://actions:5055/health"
    assert action_health_url("http://actions:5055") == "http://actions:5055/health"


@pytest.mark.asyncio
async def test_waiting_for_an_absent_action_server_gives_up_after_the_timeout():
    from bot.rasa_runtime import wait_for_action_server
    assert await wait_for_action_server("http://127.0.0.1:9/webhook", timeout=0.6) is False
