"""bot.channels.parse_rest_body: validation of REST webhook requests."""
from __future__ import annotations

import json

import pytest

from bot.channels import MAX_BODY_BYTES, MAX_SENDER_CHARS, RequestError, parse_rest_body


def body(**fields) -> bytes:
    return json.dumps(fields, ensure_ascii=False).encode("utf-8")


def status_of(raw: bytes) -> int:
    with pytest.raises(RequestError) as error:
        parse_rest_body(raw)
    return error.value.status


def test_valid_request():
    assert parse_rest_body(body(sender="user-1", message="wd gw nyangkut 😭")) == ("user-1", "wd gw nyangkut 😭", None)


def test_metadata_object_is_passed_through():
    assert parse_rest_body(body(sender="u", message="halo", metadata={"lang": "id"})) == ("u", "halo", {"lang": "id"})
    assert parse_rest_body(body(sender="u", message="halo", metadata=None))[2] is None


def test_empty_message_is_accepted():
    assert parse_rest_body(body(sender="u", message="")) == ("u", "", None)


def test_long_message_is_accepted():
    text = "a" * 10_000
    assert parse_rest_body(body(sender="u", message=text))[1] == text


def test_sender_limits():
    assert parse_rest_body(body(sender="s" * MAX_SENDER_CHARS, message="x"))[0] == "s" * MAX_SENDER_CHARS
    assert status_of(body(sender="s" * (MAX_SENDER_CHARS + 1), message="x")) == 400


def test_body_over_one_megabyte_is_413():
    assert MAX_BODY_BYTES == 1_000_000
    padding = "a" * (MAX_BODY_BYTES + 1)
    assert status_of(body(sender="u", message=padding)) == 413
    assert status_of(b" " * (MAX_BODY_BYTES + 1)) == 413


def test_body_of_exactly_the_limit_is_parsed():
    raw = body(sender="u", message="")
    raw = raw[:-1] + b" " * (MAX_BODY_BYTES - len(raw)) + b"}"
    assert len(raw) == MAX_BODY_BYTES
    assert parse_rest_body(raw) == ("u", "", None)


@pytest.mark.parametrize(
    "raw",
    [
        b"\xff\xfe\x00{",                                   # not UTF-8
        '{"sender": "u", "message": "caf\u00e9"}'.encode("latin-1"),
        b"",
        b"{",
        b"{'sender': 'u', 'message': 'x'}",
        b"sender=u&message=x",
        b"[]",
        b'["u", "halo"]',
        b'"halo"',
        b"null",
        b"42",
    ],
)
def test_malformed_bodies_are_400(raw):
    assert status_of(raw) == 400


@pytest.mark.parametrize(
    "fields",
    [
        {"message": "halo"},                           # missing sender
        {"sender": "", "message": "halo"},
        {"sender": "   ", "message": "halo"},
        {"sender": None, "message": "halo"},
        {"sender": 123, "message": "halo"},
        {"sender": ["u"], "message": "halo"},
        {"sender": "u\nx", "message": "halo"},         # control characters
        {"sender": "u\x00", "message": "halo"},
        {"sender": "u\x1b[31m", "message": "halo"},
        {"sender": "u"},                               # missing message
        {"sender": "u", "message": None},
        {"sender": "u", "message": 42},
        {"sender": "u", "message": ["halo"]},
        {"sender": "u", "message": {"text": "halo"}},
        {"sender": "u", "message": "halo", "metadata": "x"},
        {"sender": "u", "message": "halo", "metadata": []},
        {"sender": "u", "message": "halo", "metadata": 1},
    ],
)
def test_invalid_fields_are_400(fields):
    assert status_of(body(**fields)) == 400


def test_error_message_names_the_field():
    with pytest.raises(RequestError, match="'sender'"):
        parse_rest_body(body(message="halo"))
    with pytest.raises(RequestError, match="'message'"):
        parse_rest_body(body(sender="u", message=1))
    with pytest.raises(RequestError, match="'metadata'"):
        parse_rest_body(body(sender="u", message="x", metadata="y"))
