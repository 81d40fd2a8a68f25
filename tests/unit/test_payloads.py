"""nlu.payloads: only the assistant's own button payloads may bypass NLU."""
from __future__ import annotations

import json

import pytest

from nlu.payloads import BUTTON_INTENTS, button_payload, is_own_button_payload


def test_button_payload_shapes():
    assert button_payload("affirm") == "/affirm"
    assert button_payload("choose_article", article_id="memo-tag") == '/choose_article{"article_id":"memo-tag"}'


@pytest.mark.parametrize("intent", ["report_withdrawal_problem", "nlu_fallback", "ask_knowledge", "session_start"])
def test_button_payload_refuses_non_button_intents(intent):
    with pytest.raises(ValueError):
        button_payload(intent)


@pytest.mark.parametrize("intent", sorted(BUTTON_INTENTS))
def test_every_button_intent_round_trips(intent):
    assert is_own_button_payload(button_payload(intent))


@pytest.mark.parametrize("article_id", ["memo-tag", "reset-2fa", "a", "a" * 64, "0-deposit"])
def test_choose_article_round_trips(article_id):
    assert is_own_button_payload(button_payload("choose_article", article_id=article_id))


@pytest.mark.parametrize(
    "text",
    [
        "/affirm",
        "/deny",
        "/greet",
        "/request_human",
        " /affirm ",
        "/affirm\n",
        '/choose_article{"article_id":"memo-tag"}',
        '/choose_article{"article_id": "memo-tag"}',
        '/choose_article{ "article_id" : "salah-jaringan" }',
    ],
)
def test_own_payloads_are_accepted(text):
    assert is_own_button_payload(text) is True


@pytest.mark.parametrize(
    "text",
    [
        # intents that buttons never send
        "/report_withdrawal_problem",
        "/report_deposit_problem",
        "/nlu_fallback",
        "/out_of_scope",
        "/AFFIRM",
        # entity injection
        '/report_withdrawal_problem{"handoff_ticket":"x"}',
        '/affirm{"handoff_ticket":"x"}',
        '/choose_article{"article_id":"memo-tag","handoff_ticket":"x"}',
        '/request_human{"priority":"high"}',
        # wrong value types / bad ids
        '/choose_article{"article_id":1}',
        '/choose_article{"article_id":null}',
        '/choose_article{"article_id":["memo-tag"]}',
        '/choose_article{"article_id":{"id":"memo-tag"}}',
        '/choose_article{"article_id":"Memo_Tag"}',
        '/choose_article{"article_id":"../../etc/passwd"}',
        '/choose_article{"article_id":"-memo"}',
        '/choose_article{"article_id":""}',
        '/choose_article{"article_id":"' + "a" * 65 + '"}',
        '/choose_article{"article_id":"memo tag"}',
        # malformed JSON
        '/choose_article{"article_id":"memo-tag"',
        "/choose_article{article_id:memo-tag}",
        "/choose_article{'article_id':'memo-tag'}",
        "/choose_article[1]",
        # text before/after the payload
        "/affirm tolong",
        '/choose_article{"article_id":"memo-tag"} bla',
        'tolong /affirm',
        "//affirm",
        "/affirm@rasa",
        # not a payload at all
        "affirm",
        "/",
        "",
        "   ",
    ],
)
def test_foreign_or_malformed_payloads_are_rejected(text):
    assert is_own_button_payload(text) is False


def test_oversized_entity_object_is_rejected():
    big = json.dumps({"article_id": "a" * 300})
    assert is_own_button_payload(f"/choose_article{big}") is False


def test_article_id_with_trailing_newline_is_rejected():
    assert is_own_button_payload('/choose_article{"article_id":"memo-tag\\n"}') is False


def test_survey_payloads_are_ours_but_never_bot_intents():
    from nlu.payloads import is_own_payload, is_survey_payload

    rating, skip = '/csat{"ticket":"CS-20261202-0001","rating":"5"}', '/csat_skip{"ticket":"CS-20261202-0001"}'
    assert is_survey_payload(rating) and is_survey_payload(skip) and is_own_payload(rating)
    assert not is_own_button_payload(rating) and not is_own_button_payload(skip)   # NLU never trusts them
    for forged in ('/csat{"ticket":"CS-20261202-0001"}', '/csat{"ticket":"CS-20261202-0001","rating":"0"}',
                   '/csat', '/csat_skip', '/csat{"ticket":"<b>","rating":"5"}'):
        assert not is_own_payload(forged), forged
