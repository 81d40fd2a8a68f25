"""Outbox delivery against a local fake Telegram Bot API and a local webhook receiver.

Exactly-once: retried with backoff while the receiver is down, delivered once when it is back, never
twice by concurrent workers, never re-sent once marked; secrets never reach a notification.
"""
from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Callable

from bot.tickets import OutboxWorker, RetryPolicy, TelegramNotifier, TicketStore, WebhookNotifier
from tests.tickets.drafts import MOMENT, PASSWORD, SEED_PHRASE, draft_with_secrets, make_draft
from tests.tickets.fakes import FakeTelegram, WebhookReceiver

CHAT_ID = "-1001234567890"
SECOND = timedelta(seconds=1)


def telegram_notifier(api: FakeTelegram, token: str = "") -> TelegramNotifier:
    return TelegramNotifier("telegram_agen", token=token or api.token, chat_id=CHAT_ID, base_url=api.api_url,
                            timeout=5)


def webhook_notifier(receiver: WebhookReceiver, name: str = "helpdesk", secret: str = "") -> WebhookNotifier:
    return WebhookNotifier(name, url=receiver.url, secret=secret or receiver.secret, timeout=5)


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


PLAIN_WAITS = [5, 10, 20, 40, 80, 160, 320, 600, 600, 600]


def test_retry_policy_doubles_from_five_seconds_up_to_ten_minutes():
    policy = RetryPolicy(jitter=False)
    assert [policy.delay(n).total_seconds() for n in range(1, 11)] == PLAIN_WAITS
    assert policy.delay(10_000) == timedelta(minutes=10)


def test_retry_waits_are_jittered_between_half_and_all_of_the_plain_wait():
    lowest, highest = RetryPolicy(random=lambda: 0.0), RetryPolicy(random=lambda: 0.999)
    assert [lowest.delay(n).total_seconds() for n in range(1, 11)] == [w / 2 for w in PLAIN_WAITS]
    assert all(w * 0.99 < highest.delay(n).total_seconds() < w for n, w in enumerate(PLAIN_WAITS, start=1))


def test_rows_that_failed_together_come_back_at_different_moments(sqlite_store: TicketStore,
                                                                  webhook_receiver: WebhookReceiver):
    webhook_receiver.fail_status = 503
    tickets = [sqlite_store.create(make_draft(), ["helpdesk"], now=MOMENT) for _ in range(8)]
    assert OutboxWorker(sqlite_store, {"helpdesk": webhook_notifier(webhook_receiver)}).run_once(MOMENT) == 0
    due = [sqlite_store.outbox.deliveries(ticket.id)[0].next_attempt_at for ticket in tickets]
    assert len(set(due)) > 1
    assert all(MOMENT + 2.5 * SECOND <= moment <= MOMENT + 5 * SECOND for moment in due)


def test_telegram_group_gets_the_html_summary_once(sqlite_store: TicketStore, telegram_api: FakeTelegram):
    ticket = sqlite_store.create(make_draft(), ["telegram_agen"], now=MOMENT)
    worker = OutboxWorker(sqlite_store, {"telegram_agen": telegram_notifier(telegram_api)})
    assert worker.run_once(MOMENT) == 1
    assert worker.run_once(MOMENT + timedelta(days=1)) == 0
    [message] = telegram_api.messages
    assert message["chat_id"] == CHAT_ID and message["parse_mode"] == "HTML"
    assert f"<b>Tiket {ticket.id}</b>" in message["text"] and "<b>Prioritas:</b> Tinggi" in message["text"]
    [delivery] = sqlite_store.outbox.deliveries(ticket.id)
    assert (delivery.status, delivery.attempts, delivery.sent_at) == ("sent", 1, MOMENT)


def test_webhook_is_signed_and_carries_the_idempotency_key(sqlite_store: TicketStore,
                                                           webhook_receiver: WebhookReceiver):
    ticket = sqlite_store.create(make_draft(), ["helpdesk"], now=MOMENT)
    assert OutboxWorker(sqlite_store, {"helpdesk": webhook_notifier(webhook_receiver)}).run_once(MOMENT) == 1
    [call] = webhook_receiver.calls
    assert call.signature_ok and call.accepted
    assert call.idempotency_key == str(sqlite_store.outbox.deliveries(ticket.id)[0].id)
    assert call.payload["id"] == ticket.id
    assert datetime.fromisoformat(call.payload["sla_due_at"]) == ticket.sla_due_at
    assert call.payload["details"][2]["status"] == "inferred"
    assert call.payload["transcript"][0]["text"] == "wd usdt gw nyangkut dari semalem"


def test_receiver_down_is_retried_with_backoff_then_delivered_exactly_once(sqlite_store: TicketStore,
                                                                           webhook_receiver: WebhookReceiver):
    webhook_receiver.down()
    ticket = sqlite_store.create(make_draft(), ["helpdesk"], now=MOMENT)
    worker = OutboxWorker(sqlite_store, {"helpdesk": webhook_notifier(webhook_receiver)},
                          retry=RetryPolicy(jitter=False))

    def state():
        [delivery] = sqlite_store.outbox.deliveries(ticket.id)
        return delivery.status, delivery.attempts, delivery.next_attempt_at

    assert worker.run_once(MOMENT) == 0
    assert state() == ("pending", 1, MOMENT + 5 * SECOND)
    assert "ConnectError" in sqlite_store.outbox.deliveries(ticket.id)[0].last_error
    assert worker.run_once(MOMENT + 4 * SECOND) == 0  # not due yet: no attempt
    assert state() == ("pending", 1, MOMENT + 5 * SECOND)
    assert worker.run_once(MOMENT + 5 * SECOND) == 0
    assert state() == ("pending", 2, MOMENT + 15 * SECOND)  # 5 s, then 10 s
    webhook_receiver.up()
    assert worker.run_once(MOMENT + 14 * SECOND) == 0 and webhook_receiver.calls == []
    assert worker.run_once(MOMENT + 15 * SECOND) == 1
    for later in (16, 600, 86_400):
        assert worker.run_once(MOMENT + later * SECOND) == 0
    assert len(webhook_receiver.calls) == 1 and webhook_receiver.accepted[0].payload["id"] == ticket.id
    [delivery] = sqlite_store.outbox.deliveries(ticket.id)
    assert (delivery.status, delivery.attempts, delivery.sent_at) == ("sent", 3, MOMENT + 15 * SECOND)


def test_telegram_server_errors_are_retried_and_the_token_never_logged(sqlite_store: TicketStore,
                                                                        telegram_api: FakeTelegram):
    ticket = sqlite_store.create(make_draft(), ["telegram_agen"], now=MOMENT)
    telegram_api.fail_status = 500
    worker = OutboxWorker(sqlite_store, {"telegram_agen": telegram_notifier(telegram_api)})
    assert worker.run_once(MOMENT) == 0
    [failed] = sqlite_store.outbox.deliveries(ticket.id)
    assert failed.status == "pending" and failed.last_error.startswith("Telegram:")
    assert telegram_api.token not in failed.last_error
    telegram_api.fail_status = None
    assert worker.run_once(MOMENT + 5 * SECOND) == 1
    assert worker.run_once(MOMENT + 60 * SECOND) == 0
    assert len(telegram_api.messages) == 1


def test_rejected_bot_token_is_scrubbed_from_the_error(sqlite_store: TicketStore, telegram_api: FakeTelegram):
    ticket = sqlite_store.create(make_draft(), ["telegram_agen"], now=MOMENT)
    wrong = telegram_notifier(telegram_api, token="999999:wrong-token-value")
    assert OutboxWorker(sqlite_store, {"telegram_agen": wrong}).run_once(MOMENT) == 0
    error = sqlite_store.outbox.deliveries(ticket.id)[0].last_error
    assert "999999:wrong-token-value" not in error and "<token>" in error


def test_bad_signature_is_a_failure(sqlite_store: TicketStore, webhook_receiver: WebhookReceiver):
    ticket = sqlite_store.create(make_draft(), ["helpdesk"], now=MOMENT)
    forged = webhook_notifier(webhook_receiver, secret="not-the-shared-secret")
    assert OutboxWorker(sqlite_store, {"helpdesk": forged}).run_once(MOMENT) == 0
    assert webhook_receiver.calls[0].signature_ok is False
    assert "HTTP 401" in sqlite_store.outbox.deliveries(ticket.id)[0].last_error


def test_many_failures_flag_the_row_but_it_is_still_retried(sqlite_store: TicketStore,
                                                            webhook_receiver: WebhookReceiver):
    webhook_receiver.fail_status = 503
    ticket = sqlite_store.create(make_draft(), ["helpdesk"], now=MOMENT)
    policy = RetryPolicy(first_delay=SECOND, max_delay=4 * SECOND, flag_failed_after=3, jitter=False)
    worker = OutboxWorker(sqlite_store, {"helpdesk": webhook_notifier(webhook_receiver)}, retry=policy)
    moment = MOMENT
    for expected_status, expected_delay in [("pending", 1), ("pending", 2), ("failed", 4), ("failed", 4)]:
        assert worker.run_once(moment) == 0
        [delivery] = sqlite_store.outbox.deliveries(ticket.id)
        assert delivery.status == expected_status and delivery.last_error.startswith("webhook: HTTP 503")
        assert delivery.next_attempt_at == moment + expected_delay * SECOND
        moment = delivery.next_attempt_at
    webhook_receiver.fail_status = None
    assert worker.run_once(moment) == 1
    assert sqlite_store.outbox.deliveries(ticket.id)[0].status == "sent"
    assert len(webhook_receiver.accepted) == 1


def test_retry_after_from_the_receiver_is_respected(sqlite_store: TicketStore, telegram_api: FakeTelegram):
    telegram_api.fail_status = 429  # Telegram answers "too many requests"
    ticket = sqlite_store.create(make_draft(), ["telegram_agen"], now=MOMENT)
    assert OutboxWorker(sqlite_store, {"telegram_agen": telegram_notifier(telegram_api)}).run_once(MOMENT) == 0
    [delivery] = sqlite_store.outbox.deliveries(ticket.id)
    assert delivery.next_attempt_at == MOMENT + 30 * SECOND  # the server's 30 s, not the 5 s backoff
    assert "rate limit" in delivery.last_error


def test_unconfigured_notifier_stays_pending_and_is_logged_once(sqlite_store: TicketStore,
                                                                webhook_receiver: WebhookReceiver, caplog):
    ticket = sqlite_store.create(make_draft(), ["helpdesk", "sms_gateway"], now=MOMENT)
    worker = OutboxWorker(sqlite_store, {"helpdesk": webhook_notifier(webhook_receiver)})
    with caplog.at_level(logging.WARNING, logger="bot.tickets.delivery"):
        assert worker.run_once(MOMENT) == 1
        assert worker.run_once(MOMENT + timedelta(hours=1)) == 0
    assert len([r for r in caplog.records if "'sms_gateway'" in r.getMessage()]) == 1
    statuses = {d.notifier: (d.status, d.attempts) for d in sqlite_store.outbox.deliveries(ticket.id)}
    assert statuses == {"helpdesk": ("sent", 1), "sms_gateway": ("pending", 0)}
    # Once it is configured, the waiting notification goes out.
    later = OutboxWorker(sqlite_store, {"sms_gateway": webhook_notifier(webhook_receiver, name="sms_gateway")})
    assert later.run_once(MOMENT + timedelta(hours=2)) == 1
    assert len(webhook_receiver.accepted) == 2


def test_a_crashed_workers_lease_expires_and_the_row_is_delivered(sqlite_store: TicketStore,
                                                                  webhook_receiver: WebhookReceiver):
    ticket = sqlite_store.create(make_draft(), ["helpdesk"], now=MOMENT)
    [abandoned] = sqlite_store.outbox.claim_due(["helpdesk"], MOMENT, lease=timedelta(seconds=60))
    assert abandoned.ticket_id == ticket.id
    worker = OutboxWorker(sqlite_store, {"helpdesk": webhook_notifier(webhook_receiver)})
    assert worker.run_once(MOMENT + 30 * SECOND) == 0 and webhook_receiver.calls == []  # still leased
    assert worker.run_once(MOMENT + 61 * SECOND) == 1
    assert sqlite_store.outbox.deliveries(ticket.id)[0].attempts == 2
    assert sqlite_store.outbox.mark_failed(abandoned, "late", MOMENT, flag_failed=False) is False  # lease lost
    assert sqlite_store.outbox.deliveries(ticket.id)[0].status == "sent"


def test_slow_receiver_is_cut_off_within_the_lease(sqlite_store: TicketStore):
    receiver = WebhookReceiver(delay_seconds=3)
    try:
        ticket = sqlite_store.create(make_draft(), ["helpdesk"], now=MOMENT)
        worker = OutboxWorker(sqlite_store, {"helpdesk": webhook_notifier(receiver)}, lease=timedelta(seconds=1))
        started = time.monotonic()
        assert worker.run_once(MOMENT) == 0
        assert time.monotonic() - started < 2.5
        assert "TimeoutError" in sqlite_store.outbox.deliveries(ticket.id)[0].last_error
    finally:
        receiver.close()


def test_two_concurrent_workers_deliver_each_notification_exactly_once(store: TicketStore,
                                                                       telegram_api: FakeTelegram):
    receiver = WebhookReceiver(delay_seconds=0.03)  # slow enough for the workers' passes to overlap
    try:
        created = [store.create(make_draft(customer_id=f"c{i}"), ["helpdesk", "telegram_agen"]) for i in range(12)]
        notifiers = {"helpdesk": webhook_notifier(receiver), "telegram_agen": telegram_notifier(telegram_api)}
        workers = [OutboxWorker(store, notifiers, batch_size=4) for _ in range(2)]
        barrier = threading.Barrier(2)

        delivered = []

        def drain(worker: OutboxWorker) -> None:
            barrier.wait()
            delivered.append(sum(worker.run_once() for _ in range(20)))

        threads = [threading.Thread(target=drain, args=(worker,)) for worker in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sum(delivered) == 24 and all(count > 0 for count in delivered)  # both really worked
        keys = [call.idempotency_key for call in receiver.calls]
        assert len(keys) == len(set(keys)) == 12 and len(receiver.accepted) == 12
        sent_ids = sorted(message["text"].split("Tiket ")[1].split("<")[0] for message in telegram_api.messages)
        assert sent_ids == sorted(ticket.id for ticket in created)
        assert all(d.status == "sent" and d.attempts == 1 for t in created for d in store.outbox.deliveries(t.id))
    finally:
        receiver.close()


def test_racing_claimers_never_share_a_row(store: TicketStore):
    for i in range(10):
        store.create(make_draft(customer_id=f"c{i}"), ["helpdesk", "telegram_agen", "sms"], now=MOMENT)
    barrier = threading.Barrier(6)
    claimed = []

    def claim() -> None:
        barrier.wait()  # all select the same 30 candidates; the compare-and-set decides who gets each
        claimed.extend(store.outbox.claim_due(["helpdesk", "telegram_agen", "sms"], MOMENT, timedelta(seconds=60),
                                              limit=30))

    threads = [threading.Thread(target=claim) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    ids = [claim.delivery_id for claim in claimed]
    assert len(ids) == len(set(ids)) == 30


def test_secrets_never_reach_a_notification(sqlite_store: TicketStore, telegram_api: FakeTelegram,
                                            webhook_receiver: WebhookReceiver):
    sqlite_store.create(draft_with_secrets(), ["telegram_agen", "helpdesk"], now=MOMENT)
    notifiers = {"telegram_agen": telegram_notifier(telegram_api), "helpdesk": webhook_notifier(webhook_receiver)}
    assert OutboxWorker(sqlite_store, notifiers).run_once(MOMENT) == 2
    [message] = telegram_api.messages
    [call] = webhook_receiver.accepted
    for sent in (message["text"], call.raw_body.decode("utf-8")):
        assert "abandon abandon" not in sent and SEED_PHRASE not in sent and PASSWORD not in sent
    assert "PERHATIAN: pelanggan membagikan frasa pemulihan (seed phrase), kata sandi" in message["text"]
    assert set(call.payload["flags"]) == {"secret_shared:seed_phrase", "secret_shared:password"}


async def test_deliver_due_runs_inside_an_existing_event_loop(sqlite_store: TicketStore,
                                                              webhook_receiver: WebhookReceiver):
    sqlite_store.create(make_draft(), ["helpdesk"])
    worker = OutboxWorker(sqlite_store, {"helpdesk": webhook_notifier(webhook_receiver)})
    assert await worker.deliver_due() == 1
    assert await worker.deliver_due() == 0


def test_background_worker_wakes_up_on_demand_and_stops(sqlite_store: TicketStore,
                                                        webhook_receiver: WebhookReceiver):
    worker = OutboxWorker(sqlite_store, {"helpdesk": webhook_notifier(webhook_receiver)})
    sqlite_store.create(make_draft(customer_id="first"), ["helpdesk"])
    worker.start(interval=60)  # without wake() the next pass would be a minute away
    try:
        assert wait_until(lambda: len(webhook_receiver.accepted) == 1)  # the first pass runs at start
        second = sqlite_store.create(make_draft(customer_id="second"), ["helpdesk"])
        worker.wake()
        assert wait_until(lambda: len(webhook_receiver.accepted) == 2), "wake() did not trigger a pass"
        assert webhook_receiver.accepted[1].payload["id"] == second.id
    finally:
        worker.stop()
    third = sqlite_store.create(make_draft(customer_id="third"), ["helpdesk"])
    worker.wake()
    time.sleep(0.3)
    assert len(webhook_receiver.calls) == 2
    assert sqlite_store.outbox.deliveries(third.id)[0].status == "pending"


def test_background_worker_survives_a_failing_pass(sqlite_store: TicketStore, webhook_receiver: WebhookReceiver,
                                                   monkeypatch, caplog):
    worker = OutboxWorker(sqlite_store, {"helpdesk": webhook_notifier(webhook_receiver)})
    real_claim = sqlite_store.outbox.claim_due
    calls = {"count": 0}

    def flaky_claim(*args, **kwargs):
        calls["count"] += 1
        if calls["count"] == 1:
            raise RuntimeError("database briefly unreachable")
        return real_claim(*args, **kwargs)

    monkeypatch.setattr(sqlite_store.outbox, "claim_due", flaky_claim)
    sqlite_store.create(make_draft(), ["helpdesk"])
    with caplog.at_level(logging.ERROR, logger="bot.tickets.delivery"):
        worker.start(interval=0.05)
        try:
            assert wait_until(lambda: len(webhook_receiver.accepted) == 1)
        finally:
            worker.stop()
    assert any("pass failed" in record.getMessage() for record in caplog.records)


def test_sent_rows_are_never_claimed_again(sqlite_store: TicketStore, webhook_receiver: WebhookReceiver):
    now = datetime(2026, 11, 22, 3, 15, tzinfo=timezone.utc)
    ticket = sqlite_store.create(make_draft(), ["helpdesk"], now=now)
    worker = OutboxWorker(sqlite_store, {"helpdesk": webhook_notifier(webhook_receiver)})
    assert worker.run_once(now) == 1
    far_future = now + timedelta(days=3650)
    assert sqlite_store.outbox.claim_due(["helpdesk"], far_future, lease=timedelta(seconds=60)) == []
    assert worker.run_once(far_future) == 0
    assert len(webhook_receiver.calls) == 1 and sqlite_store.outbox.deliveries(ticket.id)[0].status == "sent"
