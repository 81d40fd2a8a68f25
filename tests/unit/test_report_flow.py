"""Report form, turn by turn: state bookkeeping, ``handle_message`` scenarios (driven like the form does, asking
Rasa's ``required_slots`` path for the next question each time, see ``tests.unit.form_loop``), the questions and
confirmation summary, and the ticket draft."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actions.reporting import details as d
from actions.reporting.asking import confirmation, question, summary_lines
from actions.reporting.flow import GENERIC_HELP, Turn, handle_message
from actions.reporting.state import BOOKKEEPING_SLOTS, MAX_TRIES, OUTCOME, ReportState
from actions.reporting.ticket_draft import (
    Conversation,
    build_draft,
    is_large_amount,
    overall_mood,
    priority,
    summary,
    ticket_details,
)
from bot.tickets import TranscriptLine
from bot.wording import (
    REPORT_ACCEPTED_AS_IS,
    REPORT_ACCEPTED_UNKNOWN,
    REPORT_AGENT_ASKED,
    REPORT_CONFIRM_HELP,
    REPORT_DENIED,
    REPORT_FULL_ACCOUNT,
    REPORT_NEEDED,
)
from nlu.datetimes import WIB
from nlu.sentiment import Mood
from tests.unit.form_loop import requested_slot

NOW = datetime(2026, 11, 26, 15, 20, tzinfo=WIB)
HEX64 = "3f" * 32
TRON = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
TRON_BROKEN = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u"
EVM = "0x52908400098527886e0f7030069857d2e4169ee7"
SEED = " ".join(["abandon"] * 11 + ["about"])


def started(problem: Optional[str] = None, activation: Optional[str] = None) -> ReportState:
    """A report as the trigger action starts it (problem inferred from the conversation), then the first message."""
    state = ReportState()
    if problem:
        state.set(d.PROBLEM, problem, d.PROBLEM_NAMES[problem], "inferred", "dari percakapan")
    if activation is not None:
        turn = handle_message(state, activation, NOW, None, activation=True)
        assert turn.replies == []
        state = turn.state
    return state


def answer(state: ReportState, text: str, **kwargs) -> Turn:
    """One turn of the form: the requested slot is what the form would ask next."""
    requested = requested_slot(state)
    assert requested is not None, "the form is already finished"
    turn = handle_message(state, text, NOW, requested, **kwargs)
    assert turn.state is not state
    return turn


def status(state: ReportState, slot: str) -> Optional[str]:
    return state.checks.get(slot, {}).get("status")


def conversation(*moods: Mood) -> Conversation:
    line = TranscriptLine(NOW, "customer", "penarikan saya gagal")
    return Conversation("user-1", "Budi", "telegram", ["kb-wd", "kb-wd", "kb-bank"], moods, [line], "dedupe-1")


def finished_idr_withdrawal() -> ReportState:
    state = started("withdrawal", "penarikan rupiah saya gagal")
    for text in ("1,5 jt", "kemarin jam 10", "tidak tahu", "BCA 1234"):
        state = answer(state, text).state
    return state


def crypto_deposit_at_confirmation(network: str = "TRC20") -> ReportState:
    state = started("deposit", f"deposit 100 USDT {network} belum masuk, txid {HEX64}")
    for text in ("kemarin jam 10", TRON if network == "TRC20" else EVM):
        state = answer(state, text).state
    assert requested_slot(state) == d.CONFIRMED
    return state


# --- State -----------------------------------------------------------------------------------------

def test_empty_state_asks_for_the_problem_first():
    assert requested_slot(ReportState()) == d.PROBLEM
    assert requested_slot(ReportState.from_slots({})) == d.PROBLEM


def test_slots_round_trip():
    state = finished_idr_withdrawal()
    state.failures[d.TIME] = 1
    state.pending = {"bank": "BCA"}
    state.secrets = ["otp"]
    slots = state.to_slots()
    assert set(slots) == set(d.FORM_SLOTS) | set(BOOKKEEPING_SLOTS) - {"report_processed"}
    json.dumps(slots)   # slot values must be JSON-serialisable for the tracker store
    again = ReportState.from_slots(slots)
    assert again.to_slots() == slots and requested_slot(again) == d.CONFIRMED
    assert again.checks == state.checks and again.failures == {d.TIME: 1} and again.pending == {"bank": "BCA"}


def test_set_resets_failures_and_clear_forgets():
    state = ReportState()
    state.failures[d.AMOUNT] = 2
    state.set(d.AMOUNT, "100 USDT", "100 USDT", "valid")
    assert state.is_filled(d.AMOUNT) and d.AMOUNT not in state.failures
    state.clear(d.AMOUNT)
    assert not state.is_filled(d.AMOUNT) and d.AMOUNT not in state.checks


def test_unknown_detail_counts_as_filled():
    state = ReportState()
    state.set(d.TXID, "", "tidak diketahui", "unknown")
    assert state.is_filled(d.TXID)


def test_required_details_depend_on_problem_and_asset():
    state = started("withdrawal")
    assert requested_slot(state) == d.ASSET and state.category() == "withdrawal_idr"
    state.set(d.ASSET, "IDR", "Rupiah (IDR)", "valid")
    assert state.required() == [d.PROBLEM, d.ASSET, d.AMOUNT, d.TIME, d.TXID, d.BANK_ACCOUNT]
    state.set(d.ASSET, "USDT", "USDT", "valid")
    assert state.required() == [d.PROBLEM, d.ASSET, d.NETWORK, d.AMOUNT, d.TIME, d.TXID, d.ADDRESS]
    assert state.category() == "withdrawal_crypto"
    assert started("fraud").required() == [d.PROBLEM, d.DESCRIPTION, d.TIME, d.ASSET, d.AMOUNT, d.ADDRESS, d.TXID]
    assert started("other").required() == [d.PROBLEM, d.DESCRIPTION]


def test_outcome_ends_the_form():
    state = finished_idr_withdrawal()
    state.outcome = "cancelled"
    assert requested_slot(state) is None
    assert requested_slot(ReportState.from_slots({OUTCOME: "confirmed"})) is None


@pytest.mark.parametrize(("slot", "problem", "optional"), [
    (d.TXID, "withdrawal", True), (d.NETWORK, "deposit", True), (d.AMOUNT, "withdrawal", False),
    (d.ASSET, "hacked_account", True), (d.AMOUNT, "fraud", True), (d.ADDRESS, "fraud", True),
    (d.ADDRESS, "deposit", True), (d.ADDRESS, "withdrawal", False), (d.BANK_ACCOUNT, "withdrawal", False),
    (d.TIME, "hacked_account", False), (d.DESCRIPTION, "hacked_account", False),
])
def test_optional_details(slot, problem, optional):
    assert d.is_optional(slot, problem) is optional


# --- Scenario 1: failed rupiah withdrawal ----------------------------------------------------------

def test_failed_idr_withdrawal_end_to_end():
    state = started("withdrawal", "penarikan rupiah saya gagal")
    assert state.values[d.ASSET] == "IDR" and requested_slot(state) == d.AMOUNT   # the asset came with the activation

    turn = answer(state, "1,5 jt")
    assert turn.replies == [] and turn.state.values[d.AMOUNT] == "1500000 IDR"
    assert turn.state.checks[d.AMOUNT]["display"] == "Rp 1.500.000"
    turn = answer(turn.state, "kemarin jam 10")
    assert turn.state.values[d.TIME] == "2026-11-25 10:00 WIB"
    turn = answer(turn.state, "tidak tahu")
    assert turn.replies == [] and turn.state.values[d.TXID] == "" and status(turn.state, d.TXID) == "unknown"
    turn = answer(turn.state, "BCA 1234")
    assert turn.state.values[d.BANK_ACCOUNT] == "BCA ••••1234"
    assert requested_slot(turn.state) == d.CONFIRMED and turn.state.outcome is None

    turn = answer(turn.state, "ya")
    state = turn.state
    assert turn.replies == [] and state.outcome == "confirmed" and state.values[d.CONFIRMED] == "yes"
    assert requested_slot(state) is None
    assert {s: status(state, s) for s in state.required()} == {
        d.PROBLEM: "inferred", d.ASSET: "valid", d.AMOUNT: "valid", d.TIME: "valid", d.TXID: "unknown",
        d.BANK_ACCOUNT: "valid"}
    assert state.failures == {} and state.secrets == [] and state.category() == "withdrawal_idr"


def test_asset_question_when_the_activation_does_not_say():
    state = started("withdrawal", "penarikan saya gagal")
    assert requested_slot(state) == d.ASSET
    turn = answer(state, "Rupiah")
    assert turn.state.values[d.ASSET] == "IDR" and requested_slot(turn.state) == d.AMOUNT


def test_problem_asked_when_not_preset():
    state = started(None, "mau lapor kak")
    assert requested_slot(state) == d.PROBLEM
    turn = answer(state, "hmm")
    assert turn.replies == [GENERIC_HELP[d.PROBLEM]] and turn.state.failures == {d.PROBLEM: 1}
    turn = answer(turn.state, "Akun diretas")
    assert turn.state.problem == "hacked_account" and requested_slot(turn.state) == d.DESCRIPTION


# --- Scenario 2: missing USDT-TRC20 deposit --------------------------------------------------------

def test_one_message_fills_asset_network_amount_and_txid():
    state = started("deposit", f"deposit 100 USDT TRC20 belum masuk, txid {HEX64}")
    assert {s: state.values[s] for s in (d.ASSET, d.NETWORK, d.AMOUNT, d.TXID)} == {
        d.ASSET: "USDT", d.NETWORK: "TRC20", d.AMOUNT: "100 USDT", d.TXID: HEX64}
    assert requested_slot(state) == d.TIME and state.category() == "deposit_crypto"
    state = answer(state, "kemarin jam 10").state
    assert requested_slot(state) == d.ADDRESS
    state = answer(state, TRON).state
    assert state.values[d.ADDRESS] == TRON and requested_slot(state) == d.CONFIRMED


def test_address_alone_fills_an_empty_network():
    state = started("withdrawal", "penarikan USDT gagal")
    assert requested_slot(state) == d.NETWORK
    turn = answer(state, TRON)
    assert turn.state.values[d.NETWORK] == "TRC20" and status(turn.state, d.NETWORK) == "inferred"
    assert turn.state.values[d.ADDRESS] == TRON


def test_address_fills_a_network_the_customer_did_not_know():
    state = started("withdrawal", "penarikan USDT gagal")
    state = answer(state, "tidak tahu").state
    assert status(state, d.NETWORK) == "unknown"
    for text in ("100", "kemarin jam 10", "tidak tahu", TRON):
        state = answer(state, text).state
    assert state.values[d.NETWORK] == "TRC20"


# --- Scenario 3: hacked account --------------------------------------------------------------------

def test_hacked_account_with_unknown_optional_details():
    state = started("hacked_account", "akun saya diretas")
    assert requested_slot(state) == d.DESCRIPTION
    turn = answer(state, "ada yang narik semua saldo saya, saya tidak bisa login")
    assert turn.state.values[d.DESCRIPTION] == "ada yang narik semua saldo saya, saya tidak bisa login"
    turn = answer(turn.state, "tadi pagi")
    assert turn.state.values[d.TIME] == "2026-11-26 pagi WIB"
    for slot in (d.ASSET, d.AMOUNT, d.TXID):
        assert requested_slot(turn.state) == slot
        turn = answer(turn.state, "tidak tahu")
        assert turn.replies == [] and status(turn.state, slot) == "unknown" and turn.state.failures == {}
    state = turn.state
    assert requested_slot(state) == d.CONFIRMED and state.category() == "hacked_account"
    assert priority(state, Mood.CALM) == "urgent"


# --- Scenario 4: invalid address then a valid one --------------------------------------------------

def crypto_withdrawal_at_address(network: str) -> ReportState:
    state = started("withdrawal", f"penarikan USDT {network} gagal")
    for text in ("100 USDT", "kemarin jam 10", "tidak tahu"):
        state = answer(state, text).state
    assert requested_slot(state) == d.ADDRESS
    return state


def test_broken_checksum_explained_then_valid_address_accepted():
    turn = answer(crypto_withdrawal_at_address("TRC20"), TRON_BROKEN)
    assert len(turn.replies) == 1 and "checksum" in turn.replies[0] and "mis. TR7NHq" in turn.replies[0]
    assert turn.state.failures == {d.ADDRESS: 1} and not turn.state.is_filled(d.ADDRESS)
    turn = answer(turn.state, TRON)
    assert turn.replies == [] and turn.state.values[d.ADDRESS] == TRON and status(turn.state, d.ADDRESS) == "valid"
    assert turn.state.failures == {}


def test_tron_address_on_erc20_explains_the_mismatch():
    turn = answer(crypto_withdrawal_at_address("ERC20"), TRON)
    assert len(turn.replies) == 1
    assert "TRON (TRC20), bukan jaringan ERC20" in turn.replies[0] and "mis. 0x" in turn.replies[0]
    assert turn.state.failures == {d.ADDRESS: 1} and turn.state.values[d.NETWORK] == "ERC20"


def test_address_of_unchecked_network_accepted_unverified():
    state = started("withdrawal", "penarikan XRP gagal")
    assert state.values[d.NETWORK] == "XRP" and status(state, d.NETWORK) == "inferred"
    for text in ("50 XRP", "kemarin jam 10", "tidak tahu"):
        state = answer(state, text).state
    turn = answer(state, "rMQ98K56yXJbDGv49ZSmW51sLn94Xe1mu1")
    assert status(turn.state, d.ADDRESS) == "unverified" and turn.replies == []


# --- Scenario 5: a seed phrase mid-form ------------------------------------------------------------

@pytest.mark.parametrize("text", [SEED, f"ini seed saya: {SEED}"])
def test_seed_phrase_is_flagged_never_stored_and_not_a_failure(text):
    state = started("withdrawal", "penarikan USDT TRC20 gagal")
    state = answer(state, "100 USDT").state
    assert requested_slot(state) == d.TIME
    turn = answer(state, text)
    assert "seed_phrase" in turn.secret_kinds and turn.state.secrets == ["seed_phrase"]
    assert turn.state.failures == {} and requested_slot(turn.state) == d.TIME
    dumped = json.dumps(turn.state.to_slots(), ensure_ascii=False) + json.dumps(turn.replies)
    assert "abandon" not in dumped and "about" not in dumped
    later = answer(turn.state, "kemarin jam 10")
    assert later.secret_kinds == [] and later.state.secrets == ["seed_phrase"]   # remembered for the ticket


def test_seed_phrase_as_description_does_not_fill_it():
    state = started("hacked_account")
    turn = answer(state, SEED)
    assert turn.secret_kinds == ["seed_phrase"] and not turn.state.is_filled(d.DESCRIPTION)
    assert requested_slot(turn.state) == d.DESCRIPTION and turn.state.failures == {}
    assert "abandon" not in json.dumps(turn.state.to_slots())


def test_redaction_marker_pasted_back_counts_as_a_secret():
    turn = answer(started("hacked_account"), "kemarin saya kirim [DIHAPUS: seed phrase] ke admin")
    assert turn.secret_kinds == ["seed_phrase"]


# --- Scenario 6: cancel ----------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["batal", "gak jadi deh", "cancel aja"])
def test_cancel_midway(text):
    state = answer(started("withdrawal", "penarikan rupiah saya gagal"), "1,5 jt").state
    turn = answer(state, text)
    assert turn.state.outcome == "cancelled" and requested_slot(turn.state) is None
    assert turn.state.values[d.AMOUNT] == "1500000 IDR" and turn.replies == []


def test_cancel_at_confirmation():
    turn = answer(finished_idr_withdrawal(), "batal")
    assert turn.state.outcome == "cancelled" and turn.state.values.get(d.CONFIRMED) is None


def test_cancelled_transaction_as_description_is_not_a_cancel():
    state = started("other")
    turn = answer(state, "transaksi saya dibatalkan")
    assert turn.state.outcome is None and turn.state.values[d.DESCRIPTION] == "transaksi saya dibatalkan"


def test_activation_message_is_never_a_cancel():
    state = started("other", "batal")
    assert state.outcome is None


# --- Scenario 7: corrections -----------------------------------------------------------------------

def test_correction_midway_replaces_the_amount_and_says_so():
    state = answer(started("withdrawal", "penarikan rupiah saya gagal"), "1,5 jt").state
    assert requested_slot(state) == d.TIME
    turn = answer(state, "eh salah, 2 juta")
    assert turn.state.values[d.AMOUNT] == "2000000 IDR"
    assert turn.replies == ["Baik, sudah saya perbarui: jumlah Rp 2.000.000."]
    assert requested_slot(turn.state) == d.TIME and turn.state.failures == {}


def test_other_details_only_fill_empty_slots_without_a_correction():
    state = answer(started("withdrawal", "penarikan rupiah saya gagal"), "1,5 jt").state
    turn = answer(state, "kemarin jam 10, 2 juta")
    assert turn.state.values[d.TIME] == "2026-11-25 10:00 WIB"
    assert turn.state.values[d.AMOUNT] == "1500000 IDR" and turn.replies == []


def test_network_change_at_confirmation_clears_an_address_that_no_longer_fits():
    state = crypto_deposit_at_confirmation()
    turn = answer(state, "jaringannya BEP20")
    assert turn.state.values[d.NETWORK] == "BEP20"
    assert turn.replies == ["Baik, sudah saya perbarui: jaringan BEP20."]
    assert turn.state.values[d.ADDRESS] is None and requested_slot(turn.state) == d.ADDRESS
    assert turn.state.values[d.TXID] == HEX64   # a hex TXID fits BEP20 as well
    turn = answer(turn.state, EVM)
    assert turn.state.values[d.ADDRESS] == EVM and requested_slot(turn.state) == d.CONFIRMED
    assert answer(turn.state, "ya").state.outcome == "confirmed"


def test_network_change_keeps_an_address_that_still_fits():
    state = crypto_deposit_at_confirmation("ERC20")
    turn = answer(state, "jaringannya BEP20")
    assert turn.state.values[d.ADDRESS] == EVM and requested_slot(turn.state) == d.CONFIRMED


def test_network_change_clears_a_txid_that_no_longer_fits():
    turn = answer(crypto_deposit_at_confirmation(), "maaf, jaringan solana")
    assert turn.state.values[d.NETWORK] == "SOL"
    assert turn.state.values[d.TXID] is None and turn.state.values[d.ADDRESS] is None
    assert requested_slot(turn.state) == d.TXID


def test_amount_change_at_confirmation():
    turn = answer(finished_idr_withdrawal(), "jumlahnya 2 juta")
    assert turn.state.values[d.AMOUNT] == "2000000 IDR" and "Rp 2.000.000" in turn.replies[0]
    assert requested_slot(turn.state) == d.CONFIRMED and turn.state.outcome is None


def test_bank_name_corrected_at_confirmation():
    turn = answer(finished_idr_withdrawal(), "banknya BRI")
    assert turn.state.values[d.BANK_ACCOUNT] == "BRI ••••1234"


@pytest.mark.parametrize(("text", "reply"), [("tidak", REPORT_DENIED), ("ada yang salah", REPORT_DENIED),
                                             ("hmm", REPORT_CONFIRM_HELP)])
def test_no_or_unclear_answer_at_confirmation(text, reply):
    turn = answer(finished_idr_withdrawal(), text)
    assert turn.replies == [reply] and turn.state.outcome is None and requested_slot(turn.state) == d.CONFIRMED
    assert turn.state.failures == {}


def test_affirm_payload_confirms():
    assert answer(finished_idr_withdrawal(), "/affirm").state.outcome == "confirmed"


# --- Scenario 8: failed tries ----------------------------------------------------------------------

def test_three_failed_tries_accept_the_raw_answer_unverified():
    state = started("withdrawal", "penarikan rupiah saya gagal")
    for attempt in range(1, MAX_TRIES):
        turn = answer(state, "pokoknya banyak sekali")
        assert turn.replies == [GENERIC_HELP[d.AMOUNT]] and turn.state.failures == {d.AMOUNT: attempt}
        state = turn.state
    turn = answer(state, "pokoknya   banyak\nsekali")
    assert turn.replies == [REPORT_ACCEPTED_AS_IS]
    assert turn.state.values[d.AMOUNT] == "pokoknya banyak sekali" and status(turn.state, d.AMOUNT) == "unverified"
    assert turn.state.checks[d.AMOUNT]["note"] and turn.state.failures == {}
    assert requested_slot(turn.state) == d.TIME


def test_three_invalid_addresses_keep_the_validation_reason():
    state = crypto_withdrawal_at_address("TRC20")
    for _ in range(MAX_TRIES):
        state = answer(state, TRON_BROKEN).state
    assert state.values[d.ADDRESS] == TRON_BROKEN and status(state, d.ADDRESS) == "unverified"
    assert "checksum" in state.checks[d.ADDRESS]["note"]


def test_required_detail_unknown_three_times_is_accepted_as_unknown():
    state = started("withdrawal", "penarikan rupiah saya gagal")
    for attempt, text in enumerate(("tidak tahu", "lupa"), start=1):
        turn = answer(state, text)
        assert turn.replies == [REPORT_NEEDED + GENERIC_HELP[d.AMOUNT]] and turn.state.failures == {d.AMOUNT: attempt}
        state = turn.state
    turn = answer(state, "tidak ingat")
    assert turn.replies == [REPORT_ACCEPTED_UNKNOWN]
    assert turn.state.values[d.AMOUNT] == "" and status(turn.state, d.AMOUNT) == "unknown"
    assert requested_slot(turn.state) == d.TIME


def test_optional_detail_unknown_at_once():
    state = started("withdrawal", "penarikan rupiah saya gagal")
    for text in ("1,5 jt", "kemarin jam 10"):
        state = answer(state, text).state
    turn = answer(state, "gak tau kak")
    assert turn.replies == [] and status(turn.state, d.TXID) == "unknown" and turn.state.failures == {}


def test_bank_account_in_two_messages():
    state = started("withdrawal", "penarikan rupiah saya gagal")
    for text in ("1,5 jt", "kemarin jam 10", "tidak tahu"):
        state = answer(state, text).state
    turn = answer(state, "BCA")
    assert turn.replies == [] and turn.state.pending == {"bank": "BCA"} and turn.state.failures == {}
    assert question(d.BANK_ACCOUNT, turn.state).text.startswith("Boleh sebutkan 4 digit terakhir nomor rekening BCA")
    turn = answer(turn.state, "1234")
    assert turn.state.values[d.BANK_ACCOUNT] == "BCA ••••1234" and turn.state.pending == {}


def test_bank_known_but_digits_unknown_does_not_loop_forever():
    state = started("withdrawal", "penarikan rupiah saya gagal")
    for text in ("1,5 jt", "kemarin jam 10", "tidak tahu", "BCA"):
        state = answer(state, text).state
    for _ in range(MAX_TRIES):
        turn = answer(state, "tidak tahu")
        assert turn.replies
        state = turn.state
    assert status(state, d.BANK_ACCOUNT) == "unknown" and requested_slot(state) == d.CONFIRMED


def test_full_account_number_keeps_last4_and_says_so():
    state = started("withdrawal", "penarikan rupiah saya gagal")
    for text in ("1,5 jt", "kemarin jam 10", "tidak tahu"):
        state = answer(state, text).state
    turn = answer(state, "rekening BCA saya 1234567890")
    assert turn.replies == [REPORT_FULL_ACCOUNT] and turn.state.values[d.BANK_ACCOUNT] == "BCA ••••7890"
    assert "1234567890" not in json.dumps(turn.state.to_slots())


def test_account_number_sent_for_the_reference_is_not_stored_in_full():
    state = started("withdrawal", "penarikan rupiah saya gagal")
    for text in ("1,5 jt", "kemarin jam 10"):
        state = answer(state, text).state
    turn = answer(state, "BCA 1234567890")
    assert turn.state.values[d.BANK_ACCOUNT] == "BCA ••••7890" and turn.state.values.get(d.TXID) is None
    assert "1234567890" not in json.dumps(turn.state.to_slots())


def test_digits_of_earlier_answers_never_become_the_account():
    state = started("withdrawal", "penarikan rupiah saya gagal")
    for text in ("1500000", "25-11-2026 jam 10", "ref 20261125ABC123"):
        state = answer(state, text).state
    assert state.pending == {} and state.values[d.TXID] == "20261125ABC123"
    assert question(d.BANK_ACCOUNT, state).text.startswith("Ke rekening bank mana")
    turn = answer(state, "BCA")
    assert not turn.state.is_filled(d.BANK_ACCOUNT) and turn.state.pending == {"bank": "BCA"}


def test_repeating_a_known_detail_is_not_an_answer():
    state = started("withdrawal", "penarikan rupiah saya gagal")
    turn = answer(state, "yang rupiah kak")
    assert turn.replies == [GENERIC_HELP[d.AMOUNT]] and turn.state.failures == {d.AMOUNT: 1}


def test_another_detail_instead_of_the_asked_one_is_kept_without_a_failure():
    state = started("withdrawal", "penarikan rupiah saya gagal")
    turn = answer(state, "kemarin jam 10")
    assert turn.replies == [] and turn.state.failures == {} and turn.state.values[d.TIME] == "2026-11-25 10:00 WIB"
    assert requested_slot(turn.state) == d.AMOUNT


def test_not_understood_only_when_nothing_answered():
    state = started("withdrawal", "penarikan rupiah saya gagal")
    turn = answer(state, "berapa lama prosesnya?")
    assert turn.not_understood and turn.replies == [GENERIC_HELP[d.AMOUNT]]
    for text in ("1,5 jt", "kemarin jam 10", "tidak tahu", "Rp 0", SEED):
        assert not answer(state, text).not_understood, text


def test_future_time_counts_as_a_failed_try():
    state = answer(started("withdrawal", "penarikan rupiah saya gagal"), "1,5 jt").state
    turn = answer(state, "besok jam 10")
    assert "masa depan" in turn.replies[0] and turn.state.failures == {d.TIME: 1}


def test_asking_for_an_agent_mid_form_is_not_a_failure():
    state = started("withdrawal", "penarikan rupiah saya gagal")
    turn = answer(state, "saya mau bicara dengan CS", intent="request_human")
    assert turn.replies == [REPORT_AGENT_ASKED] and turn.state.failures == {}


# --- Never raise -----------------------------------------------------------------------------------

TEXTS = st.one_of(st.text(max_size=300),
                  st.binary(max_size=300).map(lambda raw: raw.decode("latin-1")),
                  st.lists(st.sampled_from(["batal", "ya", "tidak tahu", "salah", "1,5 jt", "BCA", "1234", TRON,
                                            TRON_BROKEN, HEX64, SEED, "kemarin", "jam 10", "\x00", " ", "🙂",
                                            "jaringannya BEP20", "[DIHAPUS: otp]"]), max_size=20).map(" ".join))


@settings(max_examples=120)
@given(st.sampled_from(d.PROBLEMS), st.sampled_from([None, "IDR", "USDT"]), st.lists(TEXTS, min_size=1, max_size=6))
def test_handle_message_never_raises_and_keeps_the_state_consistent(problem, asset, texts):
    state = started(problem)
    if asset:
        state.set(d.ASSET, asset, asset, "valid")
    for text in texts:
        requested = requested_slot(state)
        if requested is None:
            break
        before = json.dumps(state.to_slots(), sort_keys=True)
        turn = handle_message(state, text, NOW, requested)
        assert json.dumps(state.to_slots(), sort_keys=True) == before   # the previous state is never mutated
        state = turn.state
        assert all(isinstance(reply, str) and reply for reply in turn.replies)
        assert all(0 < n < MAX_TRIES for n in state.failures.values())
        assert all(slot in state.checks for slot in d.DETAIL_SLOTS if state.values.get(slot) is not None)
        assert "abandon" not in json.dumps(state.to_slots())
        question(requested_slot(state) or d.CONFIRMED, state)
    draft = build_draft(state, conversation())   # whatever was collected, the agent gets a valid ticket
    assert draft.category == state.category() and "abandon" not in json.dumps([x.value for x in draft.details])


@settings(max_examples=6)
@given(st.sampled_from(["1 ", "a", "abandon ", "BCA 1234 ", TRON + " ", "\x00\xff", "kemarin jam 10 "]),
       st.integers(min_value=10_000, max_value=50_000))
def test_handle_message_handles_very_long_text(piece, length):
    state = started("hacked_account")
    text = (piece * (length // len(piece) + 1))[:length]
    turn = handle_message(state, text, NOW, requested_slot(state))
    assert len(turn.state.values.get(d.DESCRIPTION) or "") <= 1000


# --- Asking ----------------------------------------------------------------------------------------

def test_every_slot_has_a_question():
    for problem in d.PROBLEMS:
        for asset in (None, "IDR", "USDT"):
            state = started(problem)
            if asset:
                state.set(d.ASSET, asset, asset, "valid")
            for slot in d.FORM_SLOTS:
                asked = question(slot, state)
                assert asked.text and all(set(b) == {"title", "payload"} for b in asked.buttons)


def test_questions_are_worded_for_the_problem():
    withdrawal = started("withdrawal", "penarikan rupiah saya gagal")
    assert question(d.ASSET, started("withdrawal")).text.startswith("Penarikannya dalam rupiah")
    assert question(d.ASSET, started("deposit")).text.startswith("Depositnya dalam rupiah")
    assert "tidak tahu" in question(d.ASSET, started("hacked_account")).text
    assert "ID transaksi atau nomor referensi" in question(d.TXID, withdrawal).text
    assert question(d.BANK_ACCOUNT, withdrawal).text.startswith("Ke rekening bank mana penarikannya?")
    assert "pertama kali menyadarinya" in question(d.TIME, started("hacked_account")).text
    assert "tidak tahu" in question(d.AMOUNT, started("fraud")).text
    assert "tidak tahu" not in question(d.AMOUNT, withdrawal).text
    assert "pelaku" in question(d.ADDRESS, started("fraud")).text
    crypto = started("withdrawal", "penarikan USDT gagal")
    assert "USDT" in question(d.NETWORK, crypto).text and "USDT" in question(d.ADDRESS, crypto).text
    pending = ReportState(pending={"last4": "5678"})
    assert question(d.BANK_ACCOUNT, pending).text.startswith("Rekening berakhiran 5678 itu di bank apa?")


def test_buttons_send_answers_the_form_understands():
    state = started(None)
    for button in question(d.PROBLEM, state).buttons:
        assert answer(state, button["payload"]).state.problem in d.PROBLEMS
    state = started("withdrawal")
    for button in question(d.ASSET, state).buttons:
        assert answer(state, button["payload"]).state.asset in ("IDR", "USDT", "BTC", "ETH")
    crypto = started("withdrawal", "penarikan USDT gagal")
    for button in question(d.NETWORK, crypto).buttons:
        assert answer(crypto, button["payload"]).state.is_filled(d.NETWORK)
    confirm = confirmation(finished_idr_withdrawal())
    outcomes = [answer(finished_idr_withdrawal(), b["payload"]).state.outcome for b in confirm.buttons]
    assert outcomes == ["confirmed", "cancelled"]


def test_confirmation_summary():
    state = finished_idr_withdrawal()
    assert question(d.CONFIRMED, state) == confirmation(state)
    assert summary_lines(state) == [
        "• Jenis masalah: Penarikan",
        "• Aset: Rupiah (IDR)",
        "• Jumlah: Rp 1.500.000",
        "• Waktu transaksi: Rabu, 25 November 2026 pukul 10.00 WIB",
        "• TXID / ID transaksi: tidak diketahui",
        "• Rekening bank: BCA ••••1234",
    ]
    text = confirmation(state).text
    assert text.startswith("Berikut ringkasan laporan Anda:\n") and "Apakah sudah benar?" in text


def test_summary_marks_unverified_values():
    state = started("withdrawal", "penarikan rupiah saya gagal")
    for _ in range(MAX_TRIES):
        state = answer(state, "pokoknya banyak").state
    assert "• Jumlah: pokoknya banyak (belum terverifikasi)" in summary_lines(state)


# --- Ticket draft ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("amount", "large"), [
    ("10000000 IDR", True), ("9999999 IDR", False), ("25000000 IDR", True), ("1000 USDT", True),
    ("599.99 USDT", False), ("0.01 BTC", True), ("100 XYZ", False), ("pokoknya banyak", False), ("", False),
    (None, False), ("NaN IDR", False), ("sNaN IDR", False), ("Infinity IDR", False),
])
def test_is_large_amount(amount, large):
    assert is_large_amount(amount) is large


def test_overall_mood_is_the_strongest():
    assert overall_mood([]) is Mood.CALM
    assert overall_mood([Mood.CALM, Mood.UPSET, Mood.CALM]) is Mood.UPSET
    assert overall_mood([Mood.URGENT, Mood.UPSET]) is Mood.URGENT


@pytest.mark.parametrize("problem", ["hacked_account", "fraud"])
def test_priority_urgent_for_hacked_or_fraud(problem):
    assert priority(started(problem), Mood.CALM) == "urgent"


def test_priority_urgent_for_a_shared_secret_or_urgent_mood():
    state = finished_idr_withdrawal()
    assert priority(state, Mood.CALM) == "normal"
    assert priority(state, Mood.URGENT) == "urgent"
    state.secrets = ["seed_phrase"]
    assert priority(state, Mood.CALM) == "urgent"


def test_priority_high_for_large_amounts_or_upset_mood():
    state = finished_idr_withdrawal()
    assert priority(state, Mood.UPSET) == "high"
    state.set(d.AMOUNT, "10000000 IDR", "Rp 10.000.000", "valid")
    assert priority(state, Mood.CALM) == "high"
    crypto = started("deposit", "deposit 1000 USDT TRC20 belum masuk")
    assert priority(crypto, Mood.CALM) == "high"
    small = started("deposit", "deposit 100 USDT TRC20 belum masuk")
    assert priority(small, Mood.CALM) == "normal"


def test_unverified_odd_amount_does_not_break_priority():
    state = started("withdrawal", "penarikan rupiah saya gagal")
    for _ in range(MAX_TRIES):
        state = answer(state, "nan IDR").state
    assert status(state, d.AMOUNT) == "unverified" and priority(state, Mood.CALM) == "normal"


def test_ticket_details_carry_statuses_and_description_last():
    state = started("hacked_account", "akun saya diretas")
    for text in ("ada yang narik semua saldo saya", "tadi pagi", "tidak tahu", "2 juta", "tidak tahu"):
        state = answer(state, text).state
    details = ticket_details(state)
    assert [x.name for x in details] == ["problem_type", "tx_time", "asset", "amount", "txid", "description"]
    by_name = {x.name: x for x in details}
    assert by_name["problem_type"].status == "inferred" and by_name["problem_type"].value == PROBLEM_HACKED
    # "tidak tahu" for the asset, but the rupiah amount given next shows it after all.
    assert by_name["asset"].status == "valid" and by_name["asset"].value == "Rupiah (IDR)"
    assert by_name["amount"].value == "Rp 2.000.000" and by_name["amount"].status == "valid"
    assert by_name["txid"].status == "unknown" and by_name["txid"].value == ""
    assert by_name["description"].value == "ada yang narik semua saldo saya"


PROBLEM_HACKED = d.PROBLEM_NAMES["hacked_account"]


def test_summary_line():
    assert summary(finished_idr_withdrawal()) == "Penarikan Rp 1.500.000"
    assert summary(crypto_deposit_at_confirmation()) == "Deposit 100 USDT (TRC20)"
    hacked = started("hacked_account", "akun saya diretas")
    hacked = answer(hacked, "ada yang narik semua saldo saya").state
    assert summary(hacked) == f"{PROBLEM_HACKED} — ada yang narik semua saldo saya"
    assert summary(ReportState()) == "Kendala lainnya"


def test_build_draft():
    state = finished_idr_withdrawal()
    state.secrets = ["seed_phrase"]
    draft = build_draft(state, conversation(Mood.CALM, Mood.UPSET))
    assert draft.customer_id == "user-1" and draft.customer_name == "Budi" and draft.channel == "telegram"
    assert draft.category == "withdrawal_idr" and draft.priority == "urgent" and draft.sentiment == "upset"
    assert draft.summary == "Penarikan Rp 1.500.000"
    assert draft.kb_articles == ("kb-wd", "kb-bank") and len(draft.transcript) == 1
    assert draft.flags == ("secret_shared:seed_phrase",) and draft.secrets_shared == ("seed_phrase",)
    assert draft.dedupe_key == "dedupe-1"
    assert {x.name: x.status for x in draft.details} == {
        "problem_type": "inferred", "asset": "valid", "amount": "valid", "tx_time": "valid", "txid": "unknown",
        "bank_account": "valid"}


def test_unverified_problem_files_as_other_and_the_draft_builds():
    state = started(None, "mau lapor")
    for text in ("hmm", "entah", "pokoknya masalah"):
        state = answer(state, text).state
    assert status(state, d.PROBLEM) == "unverified" and state.values[d.PROBLEM] == "pokoknya masalah"
    assert state.category() == "other" and requested_slot(state) == d.DESCRIPTION
    state = answer(state, "saldo saya tidak sesuai dengan riwayat").state
    draft = build_draft(state, conversation())
    assert draft.category == "other" and draft.priority == "normal"
    assert draft.details[0].status == "unverified" and draft.details[0].value == "pokoknya masalah"


def test_build_draft_defaults():
    state = crypto_deposit_at_confirmation()
    draft = build_draft(state, Conversation("u", None, "", [], [], []))
    assert draft.channel == "unknown" and draft.priority == "normal" and draft.sentiment == "calm"
    assert draft.category == "deposit_crypto" and draft.flags == ()


def test_a_question_at_the_confirmation_may_be_a_side_question():
    confirming = finished_idr_withdrawal()
    assert answer(confirming, "berapa lama biasanya agen membalas?").not_understood
    assert not answer(confirming, "tidak").not_understood


def test_customer_name_comes_from_the_latest_channel_metadata():
    from actions.conversation import customer_name
    events = [{"event": "user", "metadata": {"customer_name": "Budi"}}, {"event": "bot", "metadata": {"name": "x"}},
              {"event": "user", "metadata": {"first_name": "  Siti   Aminah "}}, {"event": "user", "metadata": {}}]
    assert customer_name(events) == "Siti Aminah"
    assert customer_name([{"event": "user", "metadata": {"customer_name": 5}}]) is None


def test_full_account_number_masked_at_entry_keeps_last4_and_says_so():
    from nlu.personal_data import mask_personal_data
    state = started("withdrawal", "penarikan rupiah saya gagal")
    for text in ("1,5 jt", "kemarin jam 10", "tidak tahu"):
        state = answer(state, text).state
    text, kinds = mask_personal_data("rekening BCA saya 1234567890 a.n. Budi")
    assert kinds == ["bank_account"] and "1234567890" not in text
    turn = answer(state, text)
    assert turn.replies == [REPORT_FULL_ACCOUNT] and turn.state.values[d.BANK_ACCOUNT] == "BCA ••••7890"
    assert "******" not in json.dumps(turn.state.to_slots())   # the masked run is not stored either
