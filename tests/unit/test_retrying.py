"""The one backoff policy and the one ``Retry-After`` reader (bot/retrying.py), with fixed vectors."""
from __future__ import annotations

from datetime import timedelta

import pytest
from telegram.error import RetryAfter

from bot.retrying import MAX_RETRY_AFTER_SECONDS, Backoff, asked_wait, retry_after_seconds
from bot.tickets.notifiers import DeliveryError

# Wed, 21 Oct 2015 07:28:00 GMT (RFC 9110's example date) as Unix seconds.
OCT_21_2015_0728 = 1445412480.0


@pytest.mark.parametrize("header, now, expected", [
    ("120", OCT_21_2015_0728, 120.0),                                   # delta-seconds
    (" 7 ", OCT_21_2015_0728, 7.0),
    ("0", OCT_21_2015_0728, 0.0),
    ("1.5", OCT_21_2015_0728, 1.5),                                     # fractions tolerated
    ("Wed, 21 Oct 2015 07:28:00 GMT", OCT_21_2015_0728 - 90, 90.0),   # HTTP-date, 90 s ahead
    ("Wed, 21 Oct 2015 07:28:00 GMT", OCT_21_2015_0728, 0.0),
    ("Wed, 21 Oct 2015 07:28:00 GMT", OCT_21_2015_0728 + 3600, 0.0),  # already past: go now
    ("Wed, 21 Oct 2015 07:28:00 -0000", OCT_21_2015_0728 - 30, 30.0),  # RFC 5322 "-0000" is UTC too
    ("Wed, 21 Oct 2015 09:28:00 +0200", OCT_21_2015_0728 - 30, 30.0),
    ("Thu, 22 Oct 2015 07:28:00 GMT", OCT_21_2015_0728 - 86400, MAX_RETRY_AFTER_SECONDS),
    ("Fri, 01 Jan 2100 00:00:00 GMT", OCT_21_2015_0728, MAX_RETRY_AFTER_SECONDS),   # huge: capped
    ("99999999999", OCT_21_2015_0728, MAX_RETRY_AFTER_SECONDS),
    ("1" + "0" * 400, OCT_21_2015_0728, MAX_RETRY_AFTER_SECONDS),     # beyond a float: still capped
])
def test_retry_after_header_vectors(header, now, expected):
    assert retry_after_seconds(header, now=now) == expected


@pytest.mark.parametrize("header", [None, "", "   ", "soon", "-5", "-0.5", "+5", "1e3", "nan", "inf",
                                    "Wed, 32 Oct 2015 07:28:00 GMT", "Mon, 99 Foo 2015", "12 s", "٣"])
def test_unreadable_retry_after_is_none(header):
    assert retry_after_seconds(header, now=OCT_21_2015_0728) is None


def test_retry_after_cap_is_the_callers():
    assert retry_after_seconds("45", cap=30.0) == 30.0
    assert retry_after_seconds("20", cap=30.0) == 20.0


@pytest.mark.parametrize("value, expected", [
    (30, 30.0), (2.5, 2.5), (timedelta(seconds=42), 42.0), (10 ** 9, MAX_RETRY_AFTER_SECONDS),
    (-1, None), (float("nan"), None), (float("inf"), MAX_RETRY_AFTER_SECONDS), (True, None), (object(), None),
])
def test_telegram_retry_after_values(value, expected):
    """Telegram's ``parameters.retry_after`` as python-telegram-bot hands it over (int or timedelta)."""
    assert retry_after_seconds(value) == expected


def test_the_wait_an_exception_carries():
    assert asked_wait(RetryAfter(17)) == 17.0
    assert asked_wait(DeliveryError("webhook: HTTP 503", retry_after=retry_after_seconds("8"))) == 8.0
    assert asked_wait(DeliveryError("webhook: HTTP 503")) is None
    assert asked_wait(ValueError("boom")) is None


def test_backoff_doubles_up_to_the_cap():
    policy = Backoff(first=5, cap=600)
    assert [policy.delay(n) for n in range(1, 11)] == [5, 10, 20, 40, 80, 160, 320, 600, 600, 600]
    assert policy.delay(0) == 5 and policy.delay(10 ** 9) == 600


def test_equal_jitter_stays_between_half_and_all_of_the_plain_wait():
    low, high = Backoff(1, 30, jitter=True, random=lambda: 0.0), Backoff(1, 30, jitter=True, random=lambda: 0.75)
    assert [low.delay(n) for n in (1, 2, 3, 6, 7)] == [0.5, 1.0, 2.0, 15.0, 15.0]
    assert [high.delay(n) for n in (1, 2, 6)] == [0.875, 1.75, 26.25]
    middle = Backoff(4, 30, jitter=True, random=lambda: 0.5)
    assert middle.delay(1) == 3.0


def test_schedule_counts_failures_honours_retry_after_and_resets():
    waits = Backoff(first=1, cap=4).schedule()
    assert [waits.next(), waits.next(), waits.next(), waits.next()] == [1, 2, 4, 4]
    waits.reset()
    assert waits.next() == 1
    assert waits.next(retry_after=9.0) == 9.0     # the server's wait wins when longer ...
    assert waits.next(retry_after=0.5) == 4       # ... never when shorter
