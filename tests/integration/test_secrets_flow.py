"""A pasted seed phrase or password gets an urgent warning and never reaches the tracker store."""
from __future__ import annotations

import sqlite3

import pytest

from tests.integration.conftest import payloads, texts, tracker_db

pytestmark = pytest.mark.integration

SEED = "legal winner thank year wave sausage worth useful legal winner thank yellow"


@pytest.mark.parametrize(("message", "named", "secret"), [
    (f"min ini seed phrase dompet gw {SEED} tolong cek saldo", "seed phrase", "sausage"),
    ("password saya: Rahasia123! tolong login-in akun saya", "kata sandi", "Rahasia123"),
    ("kode otp 482913, tolong proses wd saya", "kode OTP", "482913"),
])
def test_secret_is_warned_about_and_not_stored(client, servers, sender, message, named, secret):
    replies = client.send(sender, message)
    joined = " ".join(texts(replies))
    assert joined.startswith("PENTING") and named in joined
    assert "tidak pernah meminta" in joined
    assert "/request_human" in payloads(replies)
    tracker = client.tracker(sender)
    assert tracker["latest_message"]["intent"]["name"] == "share_secret"
    with sqlite3.connect(tracker_db(servers)) as db:
        rows = db.execute("SELECT data FROM events WHERE sender_id = ?", (sender,)).fetchall()
    assert rows and not any(secret in data for (data,) in rows)
