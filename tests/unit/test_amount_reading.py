"""Report form and amounts: number words and compounds are stored, an ambiguous ``15m`` (juta or miliar) is
never stored but confirmed with the customer, and ``5m yg lalu`` is a time."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actions.reporting import details as d
from actions.reporting.asking import amount_choice, chosen_amount, question, spoken_amount
from actions.reporting.flow import handle_message
from actions.reporting.reading import AMBIGUOUS_NOTE, Context, read_details
from actions.reporting.state import AMOUNT_CHOICES, MAX_TRIES, ReportState
from bot.wording import REPORT_AMOUNT_OUT_OF_RANGE
from nlu.amounts import find_amounts
from nlu.datetimes import WIB
from tests.unit.form_loop import requested_slot

NOW = datetime(2026, 11, 26, 15, 20, tzinfo=WIB)


def read(text: str, requested: str = d.AMOUNT, asset: str = "IDR", correcting: bool = False):
    context = Context(requested=requested, problem="withdrawal", asset=asset, network=None, correcting=correcting)
    findings, issues, _ = read_details(text, context, NOW)
    return {f.slot: f for f in findings}, {i.slot: i for i in issues}


def withdrawal(asset: str = "IDR") -> ReportState:
    """A withdrawal report whose next question is the amount."""
    state = ReportState()
    state.set(d.PROBLEM, "withdrawal", d.PROBLEM_NAMES["withdrawal"], "inferred")
    state.set(d.ASSET, asset, asset, "valid")
    if asset != "IDR":
        state.set(d.NETWORK, "TRC20", "TRC20", "valid")
    assert requested_slot(state) == d.AMOUNT
    return state


def ambiguous(text: str):
    (amount,) = [a for a in find_amounts(text, include_ambiguous=True) if a.ambiguous]
    return amount


# --- amounts in words and compounds reach the form ------------------------------------------------------

@pytest.mark.parametrize(("text", "canonical", "shown"), [
    ("dua juta", "2000000 IDR", "Rp 2.000.000"),
    ("setengah juta", "500000 IDR", "Rp 500.000"),
    ("seratus dua puluh lima ribu", "125000 IDR", "Rp 125.000"),
    ("satu koma lima juta", "1500000 IDR", "Rp 1.500.000"),
    ("tiga setengah juta kak", "3500000 IDR", "Rp 3.500.000"),
    ("2 jt 500rb", "2500000 IDR", "Rp 2.500.000"),
    ("1jt 250 ribu", "1250000 IDR", "Rp 1.250.000"),
    ("Rp1,5jt", "1500000 IDR", "Rp 1.500.000"),
    ("Rp 2.500.000,00", "2500000 IDR", "Rp 2.500.000"),
    ("15 miliar", "15000000000 IDR", "Rp 15.000.000.000"),
])
def test_words_and_compounds_are_stored(text, canonical, shown):
    found, issues = read(text)
    assert (found[d.AMOUNT].value, found[d.AMOUNT].display) == (canonical, shown) and not issues


def test_words_next_to_a_time_fill_both():
    found, issues = read("wd dua juta kemarin jam dua siang")
    assert found[d.AMOUNT].value == "2000000 IDR" and found[d.TIME].value == "2026-11-25 14:00 WIB" and not issues


# --- an ambiguous "m" is asked, never stored ------------------------------------------------------------

@pytest.mark.parametrize(("text", "asset", "options"), [
    ("15m", "IDR", ("Rp 15 juta", "Rp 15 miliar")),
    ("15M IDR", "IDR", ("Rp 15 juta", "Rp 15 miliar")),
    ("Rp 1,5 M", "IDR", ("Rp 1,5 juta", "Rp 1,5 miliar")),
    ("0,5m", "IDR", ("Rp 500 ribu", "Rp 500 juta")),
    ("wd saya 15m belum masuk", "IDR", ("Rp 15 juta", "Rp 15 miliar")),
    ("2m USDT", "USDT", ("2 juta USDT", "2 miliar USDT")),
])
def test_ambiguous_amount_is_confirmed_not_stored(text, asset, options):
    found, issues = read(text, asset=asset)
    assert d.AMOUNT not in found
    issue = issues[d.AMOUNT]
    assert issue.message.startswith(f"Maksud Anda {options[0]} atau {options[1]}?")
    assert issue.note == AMBIGUOUS_NOTE


def test_ambiguous_amount_outside_the_form_question_is_left_for_later():
    found, issues = read("wd 15m kemarin jam 10", requested=d.TIME)
    assert d.AMOUNT not in found and d.AMOUNT not in issues
    assert found[d.TIME].value == "2026-11-25 10:00 WIB"


def test_ambiguous_amount_in_a_correction_is_confirmed():
    found, issues = read("jumlahnya 15m", requested=d.CONFIRMED, correcting=True)
    assert d.AMOUNT not in found and "Rp 15 miliar" in issues[d.AMOUNT].message


def test_a_certain_reading_in_the_same_message_settles_it():
    found, issues = read("15m, maksudnya 15 juta")
    assert found[d.AMOUNT].value == "15000000 IDR" and not issues


def test_another_certain_amount_does_not_settle_it():
    found, issues = read("15m, biaya 5rb")
    assert d.AMOUNT not in found and issues[d.AMOUNT].note == AMBIGUOUS_NOTE


def test_ambiguous_amount_beyond_the_limit_is_explained():
    found, issues = read("20000m")
    assert d.AMOUNT not in found and issues[d.AMOUNT].message == REPORT_AMOUNT_OUT_OF_RANGE


@pytest.mark.parametrize("text", ["5m yg lalu", "5m ago", "5 menit lalu"])
def test_minutes_ago_are_a_time_not_an_amount(text):
    found, issues = read(text, requested=d.TIME)
    assert found[d.TIME].value == "2026-11-26 15:15 WIB" and d.AMOUNT not in found and not issues
    found, issues = read(text, requested=d.AMOUNT)
    assert d.AMOUNT not in found and d.AMOUNT not in issues


# --- the form, turn by turn -----------------------------------------------------------------------------

def test_form_asks_then_stores_the_confirmed_reading():
    turn = handle_message(withdrawal(), "15m", NOW, d.AMOUNT)
    assert turn.replies == []   # no "Berapa jumlahnya?" after it: the next question is the choice itself
    assert turn.state.values.get(d.AMOUNT) is None and turn.state.failures == {d.AMOUNT: 1}
    assert requested_slot(turn.state) == d.AMOUNT
    asked = question(d.AMOUNT, turn.state)
    assert asked.text == amount_choice(ambiguous("15m")).text
    assert [b["title"] for b in asked.buttons] == ["Rp 15 juta", "Rp 15 miliar"]
    turn = handle_message(turn.state, asked.buttons[1]["title"], NOW, d.AMOUNT)
    assert turn.state.values[d.AMOUNT] == "15000000000 IDR"
    assert question(d.AMOUNT, turn.state).text.startswith("Berapa jumlahnya?")   # the choice is not asked again
    turn = handle_message(withdrawal(), "15m", NOW, d.AMOUNT)
    turn = handle_message(turn.state, "yang 15 juta kak", NOW, d.AMOUNT)
    assert turn.replies == [] and turn.state.values[d.AMOUNT] == "15000000 IDR"
    assert turn.state.checks[d.AMOUNT] == {"status": "valid", "display": "Rp 15.000.000", "note": ""}
    assert requested_slot(turn.state) == d.TIME


@pytest.mark.parametrize(("reply", "stored"), [
    ("yang miliar", "15000000000 IDR"), ("miliar kak", "15000000000 IDR"), ("milyar", "15000000000 IDR"),
    ("yg juta", "15000000 IDR"), ("juta aja", "15000000 IDR"), ("jt", "15000000 IDR"),
    ("yang pertama", "15000000 IDR"), ("yg kedua kak", "15000000000 IDR"), ("yang atas", "15000000 IDR")])
def test_a_reply_naming_one_option_answers_the_choice(reply, stored):
    asked = handle_message(withdrawal(), "15m", NOW, d.AMOUNT).state
    turn = handle_message(asked, reply, NOW, d.AMOUNT)
    assert turn.replies == [] and turn.state.values[d.AMOUNT] == stored


@pytest.mark.parametrize("reply", ["juta atau miliar ya", "yang pertama, eh yang miliar", "hmm", "gatau"])
def test_a_reply_naming_no_single_option_picks_nothing(reply):
    asked = handle_message(withdrawal(), "15m", NOW, d.AMOUNT).state
    assert chosen_amount(reply, asked.pending[AMOUNT_CHOICES]) is None
    assert handle_message(asked, reply, NOW, d.AMOUNT).state.values.get(d.AMOUNT) is None


def test_only_the_choice_just_asked_is_answered_by_a_unit_word():
    assert handle_message(withdrawal(), "miliar", NOW, d.AMOUNT).state.values.get(d.AMOUNT) is None


def test_activation_with_an_ambiguous_amount_stores_nothing_and_says_nothing():
    state = ReportState()
    state.set(d.PROBLEM, "withdrawal", d.PROBLEM_NAMES["withdrawal"], "inferred")
    turn = handle_message(state, "penarikan rupiah 15m saya gagal", NOW, None, activation=True)
    assert turn.replies == [] and turn.state.values.get(d.AMOUNT) is None
    assert turn.state.asset == "IDR" and requested_slot(turn.state) == d.AMOUNT


def test_ambiguous_three_times_is_kept_as_written_for_the_agent():
    state = withdrawal()
    for _ in range(MAX_TRIES):
        state = handle_message(state, "15m", NOW, d.AMOUNT).state
    assert state.values[d.AMOUNT] == "15m"
    assert state.checks[d.AMOUNT] == {"status": "unverified", "display": "15m", "note": AMBIGUOUS_NOTE}


@pytest.mark.parametrize(("text", "asset"), [("15m", "IDR"), ("Rp 1,5 M", "IDR"), ("0,5m", "IDR"), ("2m USDT", "USDT")])
def test_each_choice_is_read_back_as_its_reading(text, asset):
    amount = ambiguous(text)
    question = amount_choice(amount)
    stored = []
    for button in question.buttons:
        assert button["title"] in question.text
        turn = handle_message(withdrawal(asset), button["payload"], NOW, d.AMOUNT)
        assert turn.replies == []
        stored.append(turn.state.values[d.AMOUNT])
    assert stored == [f"{format(v.normalize(), 'f')} {amount.currency}" for v in amount.readings]


@pytest.mark.parametrize(("value", "currency", "spoken"), [
    ("15000000", "IDR", "Rp 15 juta"), ("15000000000", "IDR", "Rp 15 miliar"), ("1500000", "IDR", "Rp 1,5 juta"),
    ("500000", "IDR", "Rp 500 ribu"), ("750", "IDR", "Rp 750"), ("2000000", "USDT", "2 juta USDT"),
    ("1250000000", None, "Rp 1,25 miliar"),
    ("1001000000", "IDR", "Rp 1.001 juta"), ("1234500", "IDR", "Rp 1.234,5 ribu"),   # never three decimals
])
def test_spoken_amount(value, currency, spoken):
    assert spoken_amount(Decimal(value), currency) == spoken


# --- properties -----------------------------------------------------------------------------------------

_M_NUMBERS = st.one_of(st.integers(min_value=1, max_value=9999).map(str),
                       st.tuples(st.integers(1, 999), st.integers(1, 99)).map(lambda p: f"{p[0]},{p[1]}"))
_AROUND = st.sampled_from(["", "wd saya ", "min, depo ", "jumlahnya "])
_AFTER = st.sampled_from(["", " kak", " belum masuk", "!"])


@settings(max_examples=60, deadline=None)
@given(_M_NUMBERS, st.sampled_from(["m", "M", " m", " M"]), st.sampled_from(["", "Rp", "Rp "]), _AROUND, _AFTER)
def test_m_is_never_stored_and_each_choice_stores_its_reading(number, m, rp, before, after):
    text = f"{before}{rp}{number}{m}{after}"
    turn = handle_message(withdrawal(), text, NOW, d.AMOUNT)
    assert turn.state.values.get(d.AMOUNT) is None
    amount = ambiguous(text)
    assert turn.replies == []
    asked = question(d.AMOUNT, turn.state)
    assert asked == amount_choice(amount) and len(asked.buttons) == 2
    for button, value in zip(asked.buttons, amount.readings, strict=True):
        stored = handle_message(turn.state, button["payload"], NOW, d.AMOUNT).state.values[d.AMOUNT]
        assert Decimal(stored.split()[0]) == value and stored.endswith(" IDR")
