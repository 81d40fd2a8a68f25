"""CSAT survey payloads and typed answers."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.handoff.survey import (
    SurveyAnswer,
    looks_like_survey_payload,
    parse_payload,
    rating_buttons,
    rating_payload,
    skip_payload,
    typed_rating,
    typed_skip,
)

TICKET = "CS-20261202-0001"


def test_buttons_are_five_ratings_best_first_with_short_titles():
    buttons = rating_buttons(TICKET)
    assert [title for title, _ in buttons] == ["5 - Sangat puas", "4 - Puas", "3 - Cukup", "2 - Kurang puas",
                                               "1 - Tidak puas"]
    assert all(len(title) <= 20 for title, _ in buttons)            # WhatsApp reply button / list row limit
    assert all(len(payload.encode()) <= 64 for _, payload in buttons)  # Telegram callback_data limit (stored ids)


@pytest.mark.parametrize("rating", [1, 2, 3, 4, 5])
def test_payloads_round_trip(rating):
    assert parse_payload(rating_payload(TICKET, rating)) == SurveyAnswer(TICKET, rating)
    assert parse_payload(skip_payload(TICKET)) == SurveyAnswer(TICKET) and SurveyAnswer(TICKET).skip


@pytest.mark.parametrize("text", ['/csat{"ticket":"CS-20261202-0001","rating":"6"}',
                                  '/csat{"ticket":"CS-20261202-0001","rating":"55"}',
                                  '/csat{"ticket":"CS-20261202-0001","rating":5}',
                                  '/csat{"ticket":"CS-1","rating":"5"}',
                                  '/csat{"ticket":"CS-20261202-0001","rating":"5","x":"y"}',
                                  '/csat_skip{"ticket":"CS-20261202-0001","rating":"5"}',
                                  '/csat["CS-20261202-0001"]', '/csat{', "/affirm", "5", ""])
def test_anything_else_is_not_a_survey_answer(text):
    assert parse_payload(text) is None


def test_survey_shapes_are_recognised_even_when_invalid():
    assert looks_like_survey_payload('/csat{"oops"}') and looks_like_survey_payload(skip_payload(TICKET))
    assert not looks_like_survey_payload("/choose_article{\"article_id\":\"x\"}")
    assert not looks_like_survey_payload("csat 5")


@pytest.mark.parametrize("text, rating", [("5", 5), ("4/5", 4), (" 3 bintang ", 3), ("2.", 2), ("1 ⭐", 1)])
def test_typed_ratings(text, rating):
    assert typed_rating(text) == rating


@pytest.mark.parametrize("text", ["6", "0", "10", "5 juta", "tanggal 5", "lima", "5 menit lagi ya"])
def test_numbers_that_are_not_ratings(text):
    assert typed_rating(text) is None


@pytest.mark.parametrize("text, skip", [("lewati", True), ("Skip", True), ("gak ada", True), ("tidak ada.", True),
                                        ("tidak ada masalah, bagus", False), ("agennya ramah", False)])
def test_typed_skip(text, skip):
    assert typed_skip(text) is skip


@given(st.text(max_size=300))
def test_parsing_never_crashes(text):
    parse_payload(text)
    typed_rating(text)
    typed_skip(text)
