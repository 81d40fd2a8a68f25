"""nlu.datetimes: when a transaction happened, from Indonesian chat, with hypothesis properties."""
from __future__ import annotations

import calendar
from dataclasses import FrozenInstanceError
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from nlu.datetimes import WIB, When, find_when

NOW = datetime(2026, 11, 26, 15, 20, tzinfo=WIB)          # Thursday afternoon
AFTER_MIDNIGHT = datetime(2026, 11, 27, 0, 10, tzinfo=WIB)  # Friday, just after midnight
EARLY = datetime(2026, 11, 28, 6, 30, tzinfo=WIB)          # Saturday, early morning
EARLY_IN_MONTH = datetime(2026, 11, 5, 9, 0, tzinfo=WIB)   # Thursday 5 November
NEW_YEAR = datetime(2027, 1, 7, 9, 0, tzinfo=WIB)          # Thursday 7 January


def when(text: str, now: datetime = NOW) -> When:
    found = find_when(text, now)
    assert found is not None, text
    return found


# ---- examples at NOW (Thursday 26 November 2026, 15:20 WIB) ----------------------------------------

@pytest.mark.parametrize(
    ("text", "canonical", "precision"),
    [
        # relative days and parts of the day
        ("kemarin jam 10", "2026-11-25 10:00 WIB", "hour"),
        ("kmrn jam 10 pagi", "2026-11-25 10:00 WIB", "hour"),
        ("kemaren sore", "2026-11-25 sore WIB", "part_of_day"),
        ("kemarin", "2026-11-25 WIB", "day"),
        ("kemarin lusa", "2026-11-24 WIB", "day"),
        ("tadi pagi", "2026-11-26 pagi WIB", "part_of_day"),
        ("tadi siang jam 1", "2026-11-26 13:00 WIB", "hour"),
        ("tadi malam", "2026-11-25 malam WIB", "part_of_day"),
        ("semalam", "2026-11-25 malam WIB", "part_of_day"),
        ("semalam jam 11", "2026-11-25 23:00 WIB", "hour"),
        ("semalam jam 2", "2026-11-26 02:00 WIB", "hour"),
        ("tadi subuh", "2026-11-26 dini hari WIB", "part_of_day"),
        ("pagi ini", "2026-11-26 pagi WIB", "part_of_day"),
        ("hari ini", "2026-11-26 WIB", "day"),
        ("hari ini jam 14.30", "2026-11-26 14:30 WIB", "minute"),
        ("hari ini jam 5", "2026-11-26 05:00 WIB", "hour"),
        ("tadi", "2026-11-26 WIB", "day"),
        ("tadi jam 1", "2026-11-26 13:00 WIB", "hour"),
        ("barusan", "2026-11-26 15:20 WIB", "minute"),
        ("baru saja", "2026-11-26 15:20 WIB", "minute"),
        ("baru aja tadi", "2026-11-26 15:20 WIB", "minute"),
        # "... lalu"
        ("2 hari lalu", "2026-11-24 WIB", "day"),
        ("3 hari yang lalu", "2026-11-23 WIB", "day"),
        ("3hr yg lalu", "2026-11-23 WIB", "day"),
        ("dua hari lalu", "2026-11-24 WIB", "day"),
        ("sehari lalu", "2026-11-25 WIB", "day"),
        ("2 hari lalu jam 10", "2026-11-24 10:00 WIB", "hour"),
        ("seminggu lalu", "2026-11-19 WIB", "day"),
        ("2 minggu yang lalu", "2026-11-12 WIB", "day"),
        ("sebulan lalu", "2026-10-26 WIB", "day"),
        ("1 jam lalu", "2026-11-26 14:20 WIB", "hour"),
        ("sejam yang lalu", "2026-11-26 14:20 WIB", "hour"),
        ("30 menit yang lalu", "2026-11-26 14:50 WIB", "minute"),
        ("setengah jam lalu", "2026-11-26 14:50 WIB", "minute"),
        ("2 jam 10 menit lalu", "2026-11-26 13:10 WIB", "minute"),
        ("15 mnt lalu", "2026-11-26 15:05 WIB", "minute"),
        ("udah 2 hari belum masuk", "2026-11-24 WIB", "day"),
        ("sudah 3 jam", "2026-11-26 12:20 WIB", "hour"),
        # dates
        ("20/11", "2026-11-20 WIB", "day"),
        ("20/11/2026", "2026-11-20 WIB", "day"),
        ("20-11-2026", "2026-11-20 WIB", "day"),
        ("20.11.2026", "2026-11-20 WIB", "day"),
        ("20/11/26", "2026-11-20 WIB", "day"),
        ("2026-11-20", "2026-11-20 WIB", "day"),
        ("20/11 jam 9", "2026-11-20 09:00 WIB", "hour"),
        ("20/11 jam 3", "2026-11-20 15:00 WIB", "hour"),
        ("20 Nov", "2026-11-20 WIB", "day"),
        ("20 nov 14:30", "2026-11-20 14:30 WIB", "minute"),
        ("20 November 2026 pukul 08.15", "2026-11-20 08:15 WIB", "minute"),
        ("Rabu, 25 November 2026", "2026-11-25 WIB", "day"),
        ("Nov 20", "2026-11-20 WIB", "day"),
        ("November 20, 2026", "2026-11-20 WIB", "day"),
        ("tgl 20 jam 9", "2026-11-20 09:00 WIB", "hour"),
        ("tanggal 20", "2026-11-20 WIB", "day"),
        ("tgl. 20", "2026-11-20 WIB", "day"),
        ("tanggal 27", "2026-10-27 WIB", "day"),              # the 27th of this month is still to come
        ("tgl 31", "2026-10-31 WIB", "day"),                  # November has no 31st
        ("tgl 20 bulan lalu", "2026-10-20 WIB", "day"),
        ("tgl 20/11 jam 14.30", "2026-11-20 14:30 WIB", "minute"),
        ("27/11", "2025-11-27 WIB", "day"),                   # no year, would be in the future: last year
        ("26/11 jam 17", "2025-11-26 17:00 WIB", "hour"),
        ("5 Des", "2025-12-05 WIB", "day"),
        ("29/2", "2024-02-29 WIB", "day"),                    # the latest leap day
        # clock times
        ("jam 2 siang", "2026-11-26 14:00 WIB", "hour"),
        ("jam 1 siang", "2026-11-26 13:00 WIB", "hour"),
        ("jam 12 siang", "2026-11-26 12:00 WIB", "hour"),
        ("jam 3 sore", "2026-11-26 15:00 WIB", "hour"),
        ("jam 8 malam", "2026-11-25 20:00 WIB", "hour"),
        ("jam 7 malam", "2026-11-25 19:00 WIB", "hour"),
        ("jam 12 malam", "2026-11-26 00:00 WIB", "hour"),
        ("jam 4 pagi", "2026-11-26 04:00 WIB", "hour"),
        ("jam 10", "2026-11-26 10:00 WIB", "hour"),
        ("jam 4", "2026-11-26 04:00 WIB", "hour"),            # 16:00 has not come yet
        ("jam 3", "2026-11-26 15:00 WIB", "hour"),
        ("jam 10an", "2026-11-26 10:00 WIB", "hour"),
        ("pukul 23.45", "2026-11-25 23:45 WIB", "minute"),
        ("pkl 08.15", "2026-11-26 08:15 WIB", "minute"),
        ("10:30", "2026-11-26 10:30 WIB", "minute"),
        ("16:00", "2026-11-25 16:00 WIB", "minute"),
        ("00:30", "2026-11-26 00:30 WIB", "minute"),
        ("jam setengah 3 sore", "2026-11-26 14:30 WIB", "minute"),
        ("jam dua siang", "2026-11-26 14:00 WIB", "hour"),
        ("10pm", "2026-11-25 22:00 WIB", "hour"),
        ("jam 9 am", "2026-11-26 09:00 WIB", "hour"),
        ("jam 10 WITA", "2026-11-26 09:00 WIB", "hour"),
        ("14.30 WIB", "2026-11-26 14:30 WIB", "minute"),
        ("jam 7.30 malam", "2026-11-25 19:30 WIB", "minute"),
        # day names: the latest such day that is not in the future
        ("senin kemarin", "2026-11-23 WIB", "day"),
        ("hari senin", "2026-11-23 WIB", "day"),
        ("Jumat jam 3 sore", "2026-11-20 15:00 WIB", "hour"),
        ("jum'at kmrn", "2026-11-20 WIB", "day"),
        ("sabtu malam", "2026-11-21 malam WIB", "part_of_day"),
        ("kamis", "2026-11-26 WIB", "day"),                   # today is Thursday
        ("kamis jam 10", "2026-11-26 10:00 WIB", "hour"),
        ("kamis jam 16", "2026-11-19 16:00 WIB", "hour"),     # today 16:00 is still to come
        ("kamis kemarin", "2026-11-19 WIB", "day"),
        ("kamis lalu", "2026-11-19 WIB", "day"),
        ("senin minggu lalu", "2026-11-16 WIB", "day"),
        ("hari minggu", "2026-11-22 WIB", "day"),
        ("minggu kemarin", "2026-11-22 WIB", "day"),
    ],
)
def test_examples(text, canonical, precision):
    found = when(text)
    assert found.canonical() == canonical
    assert found.precision == precision
    assert found.start.utcoffset() == timedelta(hours=7)


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("kmrin jam 10", "2026-11-25 10:00 WIB"),
        ("kemarn sore", "2026-11-25 sore WIB"),
        ("kmren malem", "2026-11-25 malam WIB"),
        ("td pagi", "2026-11-26 pagi WIB"),
        ("smlm", "2026-11-25 malam WIB"),
        ("semalem jam 9", "2026-11-25 21:00 WIB"),
        ("jm 10 pgi", "2026-11-26 10:00 WIB"),
        ("kmrn 10 pagi", "2026-11-25 10:00 WIB"),
        ("brsn", "2026-11-26 15:20 WIB"),
        ("20 nopember", "2026-11-20 WIB"),
        ("20 novemver", "2026-11-20 WIB"),
        ("20 desembr", "2025-12-20 WIB"),
        ("3 hri lalu", "2026-11-23 WIB"),
        ("jumat jm 3 sore", "2026-11-20 15:00 WIB"),
        ("KEMARIN JAM 10!!", "2026-11-25 10:00 WIB"),
        ("Kemarin, jam 10.", "2026-11-25 10:00 WIB"),
        ("kemarin sekitar jam 10an", "2026-11-25 10:00 WIB"),
        ("jam 10 kemarin", "2026-11-25 10:00 WIB"),
        ("kemarin kak, jam 7 malem", "2026-11-25 19:00 WIB"),
    ],
)
def test_typos_slang_case_and_punctuation(text, canonical):
    assert when(text).canonical() == canonical


@pytest.mark.parametrize(
    ("month", "aliases"),
    [
        (1, ["Jan", "januari", "January", "janu"]), (2, ["Feb", "Februari", "pebruari", "february"]),
        (3, ["Mar", "maret", "march", "mrt"]), (4, ["Apr", "April"]), (5, ["Mei", "may"]),
        (6, ["Jun", "Juni", "june"]), (7, ["Jul", "Juli", "july"]),
        (8, ["Agu", "Agt", "Ags", "agustus", "Aug", "august"]), (9, ["Sep", "Sept", "September"]),
        (10, ["Okt", "Oktober", "Oct", "october"]), (11, ["Nov", "November", "nop"]),
        (12, ["Des", "Desember", "Dec", "december"]),
    ],
)
def test_month_names_and_abbreviations(month, aliases):
    year = 2026 if date(2026, month, 5) <= NOW.date() else 2025
    for alias in aliases:
        assert when(f"5 {alias}").start.date() == date(year, month, 5), alias
        assert when(f"tgl 5 {alias}.").start.date() == date(year, month, 5), alias


# ---- other moments of the day -----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("semalam", "2026-11-26 malam WIB"),
        ("tadi malam", "2026-11-26 malam WIB"),
        ("jam 12 malam", "2026-11-27 00:00 WIB"),
        ("jam 11 malam", "2026-11-26 23:00 WIB"),
        ("semalam jam 2", "2026-11-26 02:00 WIB"),
        ("kemarin jam 2 malam", "2026-11-26 02:00 WIB"),
        ("kemarin jam 12 malam", "2026-11-27 00:00 WIB"),
        ("kemarin", "2026-11-26 WIB"),
        ("tadi pagi", "2026-11-26 pagi WIB"),
        ("jam 10", "2026-11-26 22:00 WIB"),
        ("barusan", "2026-11-27 00:10 WIB"),
        ("10 menit lalu", "2026-11-27 00:00 WIB"),
        ("30 menit lalu", "2026-11-26 23:40 WIB"),
        ("hari ini", "2026-11-27 WIB"),
        ("jumat", "2026-11-27 WIB"),
        ("jumat jam 9", "2026-11-20 09:00 WIB"),
    ],
)
def test_just_after_midnight(text, canonical):
    assert when(text, AFTER_MIDNIGHT).canonical() == canonical


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("tadi subuh", "2026-11-28 dini hari WIB"),
        ("jam 4 pagi", "2026-11-28 04:00 WIB"),
        ("tadi pagi", "2026-11-28 pagi WIB"),
        ("tadi siang", "2026-11-27 siang WIB"),
        ("tadi malam jam 11", "2026-11-27 23:00 WIB"),
        ("semalam", "2026-11-27 malam WIB"),
        ("jam 8", "2026-11-27 20:00 WIB"),
        ("jam 7", "2026-11-27 19:00 WIB"),
        ("jam 6", "2026-11-28 06:00 WIB"),
        ("jumat", "2026-11-27 WIB"),
        ("sabtu", "2026-11-28 WIB"),
        ("sabtu kemarin", "2026-11-21 WIB"),
    ],
)
def test_early_morning(text, canonical):
    assert when(text, EARLY).canonical() == canonical


def test_naive_now_is_taken_as_wib_and_non_text_gives_none():
    assert when("kemarin jam 10", NOW.replace(tzinfo=None)).canonical() == "2026-11-25 10:00 WIB"
    assert find_when(None, NOW) is None  # type: ignore[arg-type]


def test_now_in_another_zone_is_converted_to_wib():
    utc_now = NOW.astimezone(timezone.utc)
    assert when("kemarin jam 10", utc_now).canonical() == "2026-11-25 10:00 WIB"
    assert when("barusan", utc_now).start == NOW
    assert when("barusan", utc_now).start.tzinfo == WIB


# ---- future text is returned, not guessed away ------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("besok", "2026-11-27 WIB"),
        ("bsk jam 10", "2026-11-27 10:00 WIB"),
        ("lusa", "2026-11-28 WIB"),
        ("senin depan", "2026-11-30 WIB"),
        ("20/12/2026", "2026-12-20 WIB"),
        ("20 Jan 2027", "2027-01-20 WIB"),
        ("hari ini jam 16", "2026-11-26 16:00 WIB"),
        ("malam ini", "2026-11-26 malam WIB"),
    ],
)
def test_future_text_is_kept_so_the_caller_can_say_so(text, canonical):
    found = when(text)
    assert found.canonical() == canonical
    assert found.start > NOW


# ---- periods, "tanggal 3 kemarin" and minutes written "m" -------------------------------------------

@pytest.mark.parametrize(
    ("text", "canonical", "display"),
    [
        ("minggu lalu", "2026-11-16/2026-11-22 WIB", "16–22 November 2026"),
        ("minggu yang lalu", "2026-11-16/2026-11-22 WIB", "16–22 November 2026"),
        ("pekan lalu", "2026-11-16/2026-11-22 WIB", "16–22 November 2026"),
        ("pekan kemarin", "2026-11-16/2026-11-22 WIB", "16–22 November 2026"),
        ("minggu ini", "2026-11-23/2026-11-26 WIB", "23–26 November 2026"),          # under way: ends today
        ("bulan lalu", "2026-10-01/2026-10-31 WIB", "1–31 Oktober 2026"),
        ("bulan kemarin", "2026-10-01/2026-10-31 WIB", "1–31 Oktober 2026"),
        ("bulan ini", "2026-11-01/2026-11-26 WIB", "1–26 November 2026"),
        ("awal bulan", "2026-11-01/2026-11-10 WIB", "1–10 November 2026"),
        ("awal bulan lalu", "2026-10-01/2026-10-10 WIB", "1–10 Oktober 2026"),
        ("pertengahan bulan", "2026-11-11/2026-11-20 WIB", "11–20 November 2026"),
        ("tengah bulan kemarin", "2026-10-11/2026-10-20 WIB", "11–20 Oktober 2026"),
        ("akhir bulan", "2026-11-21/2026-11-26 WIB", "21–26 November 2026"),
        ("akhir bulan lalu", "2026-10-21/2026-10-31 WIB", "21–31 Oktober 2026"),
        ("Akhir Bulan Kemarin", "2026-10-21/2026-10-31 WIB", "21–31 Oktober 2026"),
    ],
)
def test_periods_start_on_their_first_day_and_keep_their_last(text, canonical, display):
    found = when(text)
    assert found.canonical() == canonical and found.display() == display
    assert found.precision == "day" and found.start.time() == datetime.min.time()
    assert (found.start_index, found.end_index) == (0, len(text))


@pytest.mark.parametrize(
    ("text", "now", "canonical", "display"),
    [
        ("minggu lalu", EARLY_IN_MONTH, "2026-10-26/2026-11-01 WIB", "26 Oktober – 1 November 2026"),
        ("awal bulan", EARLY_IN_MONTH, "2026-11-01/2026-11-05 WIB", "1–5 November 2026"),
        ("akhir bulan", EARLY_IN_MONTH, "2026-10-21/2026-10-31 WIB", "21–31 Oktober 2026"),   # the latest begun
        ("pertengahan bulan", EARLY_IN_MONTH, "2026-10-11/2026-10-20 WIB", "11–20 Oktober 2026"),
        ("minggu lalu", NEW_YEAR, "2026-12-28/2027-01-03 WIB", "28 Desember 2026 – 3 Januari 2027"),
        ("bulan lalu", NEW_YEAR, "2026-12-01/2026-12-31 WIB", "1–31 Desember 2026"),
        ("akhir bulan lalu", NEW_YEAR, "2026-12-21/2026-12-31 WIB", "21–31 Desember 2026"),
    ],
)
def test_periods_across_months_and_years(text, now, canonical, display):
    found = when(text, now)
    assert found.canonical() == canonical and found.display() == display


@pytest.mark.parametrize(("text", "now"), [("awal bulan jam 16", datetime(2026, 12, 1, 10, 55, tzinfo=WIB)),
                                           ("bulan ini malam", datetime(2026, 12, 1, 10, 55, tzinfo=WIB)),
                                           ("minggu ini jam 21", datetime(2026, 11, 23, 12, 30, tzinfo=WIB))])
def test_a_period_on_its_first_day_is_that_day_and_takes_no_clock(text, now):
    found = when(text, now)
    assert found.start == datetime.combine(now.date(), datetime.min.time(), WIB) and found.last_day is None
    assert found.precision == "day"


def test_a_period_that_has_not_begun_is_kept_as_future():
    found = when("akhir bulan ini", EARLY_IN_MONTH)
    assert found.canonical() == "2026-11-21/2026-11-30 WIB" and found.start > EARLY_IN_MONTH


@pytest.mark.parametrize(
    ("text", "canonical", "span"),
    [
        ("minggu kemarin", "2026-11-22 WIB", "minggu kemarin"),          # still last Sunday
        ("hari minggu lalu", "2026-11-22 WIB", "hari minggu lalu"),
        ("senin minggu lalu", "2026-11-16 WIB", "senin minggu lalu"),
        ("seminggu lalu", "2026-11-19 WIB", "seminggu lalu"),
        ("2 minggu lalu", "2026-11-12 WIB", "2 minggu lalu"),
        ("minggu lalu jam 10", "2026-11-16/2026-11-22 WIB", "minggu lalu"),   # a period takes no clock
        ("wd saya bulan lalu belum masuk", "2026-10-01/2026-10-31 WIB", "bulan lalu"),
        ("tgl 20 bulan lalu", "2026-10-20 WIB", "tgl 20 bulan lalu"),
    ],
)
def test_periods_next_to_other_descriptions(text, canonical, span):
    found = when(text)
    assert found.canonical() == canonical and text[found.start_index:found.end_index] == span


@pytest.mark.parametrize(
    ("text", "canonical", "span"),
    [
        ("tanggal 3 kemarin", "2026-11-03 WIB", "tanggal 3 kemarin"),
        ("tgl 3 kmrn jam 10", "2026-11-03 10:00 WIB", "tgl 3 kmrn jam 10"),
        ("tanggal 25 kemarin", "2026-11-25 WIB", "tanggal 25 kemarin"),
        ("tanggal 26 kemarin", "2026-10-26 WIB", "tanggal 26 kemarin"),   # today is the 26th: "kemarin" is before
        ("tanggal 26 yang lalu", "2026-10-26 WIB", "tanggal 26 yang lalu"),
        ("tanggal 26", "2026-11-26 WIB", "tanggal 26"),
        ("kemarin tanggal 3", "2026-11-03 WIB", "kemarin tanggal 3"),     # the date wins over "kemarin"
        ("Senin tgl 23", "2026-11-23 WIB", "Senin tgl 23"),
        ("bulan lalu tgl 3", "2026-10-03 WIB", "bulan lalu tgl 3"),
        ("bulan kemarin, tanggal 31", "2026-10-31 WIB", "bulan kemarin, tanggal 31"),
    ],
)
def test_day_of_month_in_the_past(text, canonical, span):
    found = when(text)
    assert found.canonical() == canonical and text[found.start_index:found.end_index] == span


@pytest.mark.parametrize(
    ("text", "canonical"),
    [("5m yg lalu", "2026-11-26 15:15 WIB"), ("5m ago", "2026-11-26 15:15 WIB"), ("5 m lalu", "2026-11-26 15:15 WIB"),
     ("5 menit lalu", "2026-11-26 15:15 WIB"), ("30m yang lalu", "2026-11-26 14:50 WIB"),
     ("1 jam 10m lalu", "2026-11-26 14:10 WIB")],
)
def test_m_before_ago_is_minutes(text, canonical):
    found = when(text)
    assert found.canonical() == canonical and found.precision == "minute"


@pytest.mark.parametrize(("text", "span"), [("15m", None), ("wd 15m kemarin jam 10", "kemarin jam 10"),
                                            ("Rp 15 M", None), ("udah 15m", None), ("dua juta", None),
                                            ("kemarin wd lima ratus ribu", "kemarin")])
def test_amounts_in_words_or_with_m_are_not_times(text, span):
    found = find_when(text, NOW)
    assert (text[found.start_index:found.end_index] if found else None) == span


# ---- impossible values, amounts and ids ---------------------------------------------------------------

@pytest.mark.parametrize(
    "text",
    ["31/02", "30/02/2026", "32/1", "0/11", "20/13", "tgl 32", "tgl 0", "jam 25", "14:75", "jam 10.75",
     "25:00", "31 nov", "pukul 24.30"],
)
def test_impossible_dates_and_times_are_rejected(text):
    assert find_when(text, NOW) is None


def test_an_impossible_part_leaves_the_rest():
    found = when("kemarin jam 25")
    assert found.canonical() == "2026-11-25 WIB"
    assert (found.start_index, found.end_index) == (0, len("kemarin"))


@pytest.mark.parametrize(
    "text",
    [
        "1,5 jt", "500rb", "Rp 20.000", "Rp 1.500.000", "rp20.000", "kirim 10.50 USDT", "0,05 BTC",
        "2 juta", "250k", "1.500.000",
        "0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060",
        "5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060",
        "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
        "081234567890", "0812-3456-7890", "+62 812 3456 7890", "no rek 1234567890",
        "BEP20", "TRC20", "trc 20", "ERC-20", "jaringan BEP20 ya", "versi 2.30", "9.05", "1x24 jam",
        "2x gagal", "3 jam", "", "   ", "halo min", "Pagi kak", "selamat malam",
        "prosesnya 1-2 jam ya?", "skor 2-1", "nunggu 2 minggu", "tgl 31 bulan ini", "jam operasional 08.00-17.00",
        "versi aplikasi 3.12.1", "kode OTP 123456",
    ],
)
def test_amounts_ids_and_ordinary_text_are_not_dates(text):
    assert find_when(text, NOW) is None


def test_amounts_and_ids_next_to_a_date_do_not_disturb_it():
    text = "wd 1,5 jt tgl 20/11 jam 14.30 via BEP20 ke 081234567890"
    found = when(text)
    assert found.canonical() == "2026-11-20 14:30 WIB"
    assert text[found.start_index:found.end_index] == "tgl 20/11 jam 14.30"


@pytest.mark.parametrize(
    ("text", "span", "canonical"),
    [
        ("min saya wd kemarin jam 10 pagi tapi belum masuk", "kemarin jam 10 pagi", "2026-11-25 10:00 WIB"),
        ("selamat pagi min, saya depo kemarin sore", "kemarin sore", "2026-11-25 sore WIB"),
        ("Pagi kak, wd saya 500rb dari 2 hari lalu belum masuk", "2 hari lalu", "2026-11-24 WIB"),
        ("tadi saya transfer jam 10", "jam 10", "2026-11-26 10:00 WIB"),
        ("transaksinya hari Jumat, 20 Nov 2026 sekitar pukul 21.05 WIB",
         "hari Jumat, 20 Nov 2026 sekitar pukul 21.05 WIB", "2026-11-20 21:05 WIB"),
        ("İstanbul kemarin", "kemarin", "2026-11-25 WIB"),
        ("kemarin saya wd jam 10 belum masuk", "kemarin saya wd jam 10", "2026-11-25 10:00 WIB"),
        ("kemarin saya kirim 10.50", "kemarin", "2026-11-25 WIB"),        # a bare 10.50 may be a price
        ("kemarin saya wd. jam 10 saya cek", "kemarin", "2026-11-25 WIB"),  # another sentence
        ("kemarin saya coba lagi tadi pagi", "kemarin", "2026-11-25 WIB"),
    ],
)
def test_span_in_a_sentence(text, span, canonical):
    found = when(text)
    assert text[found.start_index:found.end_index] == span
    assert found.canonical() == canonical


# ---- canonical and display forms -----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "display"),
    [
        ("kemarin jam 10", "Rabu, 25 November 2026 pukul 10.00 WIB"),
        ("20/11 14:05", "Jumat, 20 November 2026 pukul 14.05 WIB"),
        ("kemarin pagi", "Rabu, 25 November 2026, pagi (sekitar 05.00–11.00 WIB)"),
        ("semalam", "Rabu, 25 November 2026, malam (sekitar 18.00–24.00 WIB)"),
        ("tadi subuh", "Kamis, 26 November 2026, dini hari (sekitar 00.00–05.00 WIB)"),
        ("kemarin", "Rabu, 25 November 2026"),
        ("minggu kemarin", "Minggu, 22 November 2026"),
        ("5 agt", "Rabu, 5 Agustus 2026"),
        ("20 Des", "Sabtu, 20 Desember 2025"),
    ],
)
def test_display_is_indonesian(text, display):
    assert when(text).display() == display


def test_when_is_a_frozen_value():
    found = When(datetime(2026, 11, 25, 5, tzinfo=WIB), "part_of_day", 0, 4)
    assert found.canonical() == "2026-11-25 pagi WIB"
    assert found.display() == "Rabu, 25 November 2026, pagi (sekitar 05.00–11.00 WIB)"
    period = When(datetime(2026, 11, 16, tzinfo=WIB), "day", 0, 11, date(2026, 11, 22))
    assert period.canonical() == "2026-11-16/2026-11-22 WIB" and period.display() == "16–22 November 2026"
    with pytest.raises(FrozenInstanceError):
        found.precision = "day"  # type: ignore[misc]


# ---- properties -------------------------------------------------------------------------------------------

_NOWS = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(WIB))
_MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")
_TOKENS = st.sampled_from([
    "kemarin", "kmrn", "tadi", "semalam", "pagi", "siang", "sore", "malam", "jam", "pukul", "tgl", "hari",
    "ini", "lalu", "yang", "besok", "lusa", "senin", "minggu", "depan", "nov", "desember", "wib", "wita",
    "setengah", "dua", "se", "barusan", "rp", "jt", "rb", "usdt", "bep20", ",", ".", ":", "/", "-",
    "awal", "akhir", "pertengahan", "bulan", "pekan", "kemarin", "m", "5m", "ago", "sejuta", "juta",
    "0", "1", "2", "7", "10", "12", "20", "24", "29", "31", "2026", "99", "00", "14.30", "25:61",
])


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80), _NOWS)
def test_never_raises_on_arbitrary_text(text, now):
    found = find_when(text, now)
    if found is not None:
        assert 0 <= found.start_index < found.end_index <= len(text)
        assert found.precision in ("minute", "hour", "part_of_day", "day")
        assert found.start.utcoffset() == timedelta(hours=7)
        found.canonical(), found.display()


@settings(max_examples=400, deadline=None)
@given(st.lists(_TOKENS, max_size=8), st.sampled_from([" ", "", "  "]), _NOWS)
def test_never_raises_on_date_like_token_soup(tokens, glue, now):
    text = glue.join(tokens)
    found = find_when(text, now)
    if found is not None:
        assert 0 <= found.start_index < found.end_index <= len(text)
        found.canonical(), found.display()


def _past_minute(now: datetime, minutes_back: int) -> datetime:
    return (now - timedelta(minutes=minutes_back)).replace(second=0, microsecond=0)


@settings(max_examples=300, deadline=None)
@given(_NOWS, st.integers(min_value=0, max_value=300 * 24 * 60))
def test_numeric_date_and_time_round_trip(now, minutes_back):
    d = _past_minute(now, minutes_back)
    found = when(f"{d.day}/{d.month} {d:%H:%M}", now)
    assert (found.start, found.precision) == (d, "minute")


@settings(max_examples=300, deadline=None)
@given(_NOWS, st.integers(min_value=0, max_value=300 * 24 * 60), st.sampled_from([str, str.lower, str.upper]))
def test_month_abbreviation_and_dotted_time_round_trip(now, minutes_back, case):
    d = _past_minute(now, minutes_back)
    found = when(f"{d.day} {case(_MONTH_ABBR[d.month - 1])} {d.hour}.{d.minute:02d}", now)
    assert (found.start, found.precision) == (d, "minute")


@settings(max_examples=200, deadline=None)
@given(_NOWS, st.integers(min_value=0, max_value=3000))
def test_days_ago(now, n):
    found = when(f"{n} hari lalu", now)
    assert found.start.date() == now.date() - timedelta(days=n)
    assert found.start.time() == datetime.min.time()
    assert found.precision == "day"


_PAST_DAYS = st.one_of(
    st.sampled_from(["", "kemarin", "kmrn", "kemaren", "semalam", "tadi", "kemarin lusa", "senin kemarin",
                     "hari jumat", "kamis", "minggu kemarin", "sabtu lalu", "rabu minggu lalu", "2 hari lalu",
                     "minggu lalu", "pekan lalu", "bulan lalu", "bulan kemarin", "minggu ini", "bulan ini",
                     "awal bulan", "pertengahan bulan", "akhir bulan", "akhir bulan lalu", "awal bulan ini"]),
    st.builds(lambda d: f"tanggal {d} kemarin", st.integers(1, 31)),
    st.builds(lambda d: f"bulan lalu tgl {d}", st.integers(1, 28)),
    st.builds(lambda d: f"tgl {d}", st.integers(1, 31)),
    st.builds(lambda d, m: f"{d}/{m}", st.integers(1, 28), st.integers(1, 12)),
    st.builds(lambda d, m: f"{d} {_MONTH_ABBR[m - 1]}", st.integers(1, 28), st.integers(1, 12)),
)
_PARTS_OF_DAY = st.sampled_from(["", "pagi", "siang", "sore", "malam", "subuh", "malem"])
_CLOCKS = st.one_of(
    st.just(""),
    st.builds(lambda h: f"jam {h}", st.integers(0, 24)),
    st.builds(lambda h, m: f"jam {h}.{m:02d}", st.integers(0, 23), st.integers(0, 59)),
    st.builds(lambda h, m: f"pukul {h:02d}:{m:02d}", st.integers(0, 23), st.integers(0, 59)),
    st.builds(lambda h, z: f"jam {h} {z}", st.integers(1, 12), st.sampled_from(["wib", "wita", "wit", "pm", "am"])),
)


@settings(max_examples=500, deadline=None)
@given(_NOWS, _PAST_DAYS, _PARTS_OF_DAY, _CLOCKS, st.booleans())
def test_text_without_future_words_is_never_after_now(now, day, part, clock, part_first):
    text = " ".join(w for w in ((day, part, clock) if part_first else (day, clock, part)) if w)
    assume(text)
    found = find_when(text, now)
    assert found is not None, text
    assert found.start <= now, text


def _month_back(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, 1)


@settings(max_examples=200, deadline=None)
@given(_NOWS, st.sampled_from(["minggu lalu", "pekan lalu", "pekan kemarin", "Minggu yang lalu"]))
def test_last_week_is_monday_to_sunday_before_this_week(now, text):
    found = when(text, now)
    monday = now.date() - timedelta(days=now.weekday())
    assert found.start.date() == monday - timedelta(days=7) and found.last_day == monday - timedelta(days=1)


@settings(max_examples=200, deadline=None)
@given(_NOWS, st.sampled_from(["bulan lalu", "bulan kemarin", "bln lalu"]))
def test_last_month_is_its_first_to_its_last_day(now, text):
    found = when(text, now)
    first = _month_back(now.date(), 1)
    assert found.start.date() == first
    assert found.last_day == now.date().replace(day=1) - timedelta(days=1)


@settings(max_examples=300, deadline=None)
@given(_NOWS, st.sampled_from([("awal", 1), ("pertengahan", 11), ("akhir", 21)]),
       st.sampled_from(["", " ini", " lalu", " kemarin"]))
def test_thirds_of_a_month(now, third, rel):
    word, first_day = third
    found = when(f"{word} bulan{rel}", now)
    today = now.date()
    back = 1 if rel in (" lalu", " kemarin") else 0 if rel == " ini" or today.day >= first_day else 1
    month = _month_back(today, back)
    last = month.replace(day=first_day + 9 if first_day < 21 else calendar.monthrange(month.year, month.month)[1])
    start = month.replace(day=first_day)
    if start <= today < last:
        last = today                                   # under way: it ends today
    assert found.start.date() == start
    assert found.last_day == (last if last > start else None)
    assert rel == " ini" or found.start <= now


@settings(max_examples=200, deadline=None)
@given(_NOWS, st.integers(min_value=1, max_value=31), st.sampled_from(["tanggal", "tgl"]),
       st.sampled_from(["kemarin", "kmrn", "yang lalu"]))
def test_day_of_month_kemarin_is_the_latest_before_today(now, day, word, past):
    found = when(f"{word} {day} {past}", now)
    months = (_month_back(now.date(), back) for back in range(24))
    expected = next(m.replace(day=day) for m in months
                    if day <= calendar.monthrange(m.year, m.month)[1] and m.replace(day=day) < now.date())
    assert found.start.date() == expected and found.last_day is None


@settings(max_examples=200, deadline=None)
@given(_NOWS, st.integers(min_value=1, max_value=600), st.sampled_from(["m", " m", "M"]),
       st.sampled_from([" yg lalu", " yang lalu", " lalu", " ago"]), st.sampled_from(["", "wd saya ", "udah dari "]))
def test_minutes_written_m_round_trip(now, minutes, m, ago, before):
    found = when(f"{before}{minutes}{m}{ago}", now)
    assert found.start == (now - timedelta(minutes=minutes)).replace(second=0, microsecond=0)
    assert found.precision == "minute"
