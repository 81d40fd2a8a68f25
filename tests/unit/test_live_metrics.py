"""Live monitoring: the intake's counters and latency, the intent from Rasa's parse, handoff events, gauges from
the ticket database and health, /metrics access (forged peers), multiprocess sums across forked processes, and
the example alert rules (promtool when installed)."""
from __future__ import annotations

import asyncio
import multiprocessing
import re
import shutil
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Dict, Iterator, List, Optional, Set

import pytest
import yaml
from prometheus_client import values
from prometheus_client.parser import text_string_to_metric_families
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from bot import metrics_route, rasa_runtime
from bot.analytics import live_metrics
from bot.analytics.live_gauges import health_families, ticket_families
from bot.analytics.metrics_dir import MULTIPROC_ENV, ensure_metrics_dir, fresh_metrics_dir
from bot.channels.intake import IntakeSettings, MessageIntake, WhenBusy
from bot.handoff.gate import HandoffGate
from bot.handoff.model import Agent
from bot.handoff.service import HandoffService
from bot.handoff.store import HandoffStore
from bot.health import HealthRegistry
from bot.limits.capacity import Overloaded
from bot.servers import AssistantServers, ServerConfig
from bot.tickets import TicketStore
from bot.tickets.model import WIB
from tests.handoff.fixtures import RINA, Desk
from tests.tickets.drafts import make_draft
from tests.unit.test_flood_limits import FakeClock

ROOT = Path(__file__).resolve().parents[2]
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"


def sample(name: str, **labels: str) -> float:
    """A value of this process's live counters (0 when the series does not exist yet)."""
    return live_metrics.REGISTRY.get_sample_value(name, labels) or 0.0


def messages(channel: str, route: str, intent: str) -> float:
    return sample("kriptocs_messages_total", channel=channel, route=route, intent=intent)


def latency_count(channel: str) -> float:
    return sample("kriptocs_reply_latency_seconds_count", channel=channel)


class Bot:
    """Stands in for Rasa's ``on_new_message``: the NLU 'parses' the text as the intent it names."""

    def __init__(self, known: tuple = ("greet", "ask_deposit")) -> None:
        self.known = known
        self.release = asyncio.Event()
        self.hold = False

    async def __call__(self, message: UserMessage) -> None:
        live_metrics.record_parse({"intent": {"name": message.text}}, self.known)
        if self.hold:
            await self.release.wait()
        await message.output_channel.send_text_message(message.sender_id, "jawaban")


def user(text: str, sender: str = "budi", channel: str = "rest") -> UserMessage:
    return UserMessage(text, CollectingOutputChannel(), sender, input_channel=channel)


@pytest.fixture
def gate(sqlite_desk: Desk) -> HandoffGate:
    return HandoffGate(lambda: sqlite_desk.service)


# ------------------------------------------------------------------ the intake's counters


async def test_a_bot_turn_counts_its_channel_and_intent_and_times_the_reply(gate: HandoffGate):
    handle = MessageIntake(IntakeSettings(messages_per_minute=0)).wrap(Bot(), gate, WhenBusy.REFUSE)
    before = (messages("tmetrics", "bot", "greet"), messages("tmetrics", "bot", "other"), latency_count("tmetrics"),
              sample("kriptocs_nlu_fallbacks_total", channel="tmetrics"))
    for text in ("greet", "greet", "made_up_intent", "nlu_fallback"):
        assert await handle(user(text, channel="tmetrics")) is False
    assert messages("tmetrics", "bot", "greet") - before[0] == 2
    assert messages("tmetrics", "bot", "other") - before[1] == 1          # not in the domain: no new series
    assert latency_count("tmetrics") - before[2] == 4
    assert sample("kriptocs_nlu_fallbacks_total", channel="tmetrics") - before[3] == 1
    assert sample("kriptocs_reply_latency_seconds_sum", channel="tmetrics") > 0


async def test_a_conversation_held_by_an_agent_counts_as_handoff_without_intent_or_latency(
        gate: HandoffGate, sqlite_desk: Desk):
    handle = MessageIntake(IntakeSettings(messages_per_minute=0)).wrap(Bot(), gate, WhenBusy.REFUSE)
    before, timed = messages("tgate", "handoff", "none"), latency_count("tgate")
    assert await handle(user("greet", sender=sqlite_desk.customer_id, channel="tgate")) is True
    assert messages("tgate", "handoff", "none") - before == 1
    assert latency_count("tgate") == timed


async def test_flood_limited_messages_are_counted_as_such(gate: HandoffGate):
    handle = MessageIntake(IntakeSettings(messages_per_minute=2), clock=FakeClock()).wrap(Bot(), gate, WhenBusy.REFUSE)
    bot_before, flood_before = messages("tflood", "bot", "greet"), messages("tflood", "flood_limited", "none")
    for _ in range(5):
        await handle(user("greet", channel="tflood"))
    assert messages("tflood", "bot", "greet") - bot_before == 2
    assert messages("tflood", "flood_limited", "none") - flood_before == 3


async def test_messages_refused_by_the_cap_count_as_busy_and_the_refusal_still_propagates(gate: HandoffGate):
    bot = Bot()
    bot.hold = True
    settings = IntakeSettings(messages_per_minute=0, max_concurrent=1, max_queued=0, max_queue_wait=0.05)
    intake = MessageIntake(settings)
    handle = intake.wrap(bot, gate, WhenBusy.REFUSE)
    before = messages("tbusy", "busy", "none")
    first = asyncio.ensure_future(handle(user("greet", sender="a", channel="tbusy")))
    for _ in range(1000):                          # until the first message holds the only slot (10 s at most)
        if intake.cap.in_flight:
            break
        await asyncio.sleep(0.01)
    with pytest.raises(Overloaded):
        await handle(user("greet", sender="b", channel="tbusy"))
    bot.release.set()
    await first
    assert messages("tbusy", "busy", "none") - before == 1


async def test_a_failing_bot_counts_as_error_and_the_error_propagates():
    async def broken(_: Any) -> bool:
        raise RuntimeError("rasa down")

    before = messages("terror", "error", "none")
    with pytest.raises(RuntimeError):
        await live_metrics.track(broken)(user("x", channel="terror"))
    assert messages("terror", "error", "none") - before == 1


async def test_a_parse_outside_a_customer_turn_is_not_counted():
    live_metrics.record_parse({"intent": {"name": "greet"}}, ("greet",))   # e.g. /model/parse, warm-up
    assert live_metrics._turn.get() is None


def test_label_values_stay_short_and_plain():
    assert live_metrics.label("Telegram") == "telegram"
    assert live_metrics.label("web chat/evil{x}") == "web_chat_evil_x_"
    assert live_metrics.label(None, "unknown") == "unknown" and len(live_metrics.label("x" * 500)) == 40


# ------------------------------------------------------------------ hooks in Rasa and the handoff service


async def test_rasa_parse_message_wrapper_records_the_intent_once_wrapped():
    class Processor:
        domain = SimpleNamespace(intents=["ask_deposit"])

        async def parse_message(self, message: Any, tracker: Any = None, only_output_properties: bool = True):
            return {"intent": {"name": "ask_deposit", "confidence": 0.9}}

    wrapped = rasa_runtime._parse_message_with_metrics(Processor.parse_message)
    assert rasa_runtime._parse_message_with_metrics(wrapped) is wrapped      # apply() twice wraps once
    Processor.parse_message = wrapped

    async def rasa(message: UserMessage) -> bool:
        await Processor().parse_message(message)
        return False

    before = messages("tparse", "bot", "ask_deposit")
    await live_metrics.track(rasa)(user("cara deposit", channel="tparse"))
    assert messages("tparse", "bot", "ask_deposit") - before == 1


def test_handoff_transitions_are_counted(sqlite_desk: Desk):
    service = sqlite_desk.service
    before = {event: sample("kriptocs_handoff_events_total", event=event) for event in live_metrics.HANDOFF_EVENTS}
    assert service.sweep(sqlite_desk.at(60))[0] == 1                      # nobody claimed it in 30 minutes
    assert service.claim(sqlite_desk.ticket_id, RINA, sqlite_desk.at(61)).ok
    assert not service.claim(sqlite_desk.ticket_id, Agent("telegram_agen", "9", "Lain"), sqlite_desk.at(62)).ok
    assert service.close(sqlite_desk.ticket_id, RINA, sqlite_desk.at(70)).ok
    other = service.tickets.create(make_draft(customer_id="tg-2"), [], now=sqlite_desk.at(80))
    assert service.leave(service.store.get(other.id), sqlite_desk.at(81)) is not None
    after = {event: sample("kriptocs_handoff_events_total", event=event) for event in live_metrics.HANDOFF_EVENTS}
    assert {event: after[event] - before[event] for event in after} == \
        {"claimed": 1, "resolved": 1, "left": 1, "unclaimed": 1}


# ------------------------------------------------------------------ gauges at scrape time


def test_ticket_gauges_come_from_the_database(sqlite_store: TicketStore, monkeypatch):
    monkeypatch.setenv("AGENT_HOURS", "00-24")
    now = datetime(2026, 11, 23, 12, 0, tzinfo=WIB)
    service = HandoffService(HandoffStore(sqlite_store.database), sqlite_store, [], timedelta(minutes=30))

    def ticket(minutes_ago: int, priority: str, channel: str) -> str:
        draft = make_draft(customer_id=f"c-{minutes_ago}", priority=priority, channel=channel)
        return sqlite_store.create(draft, ["helpdesk"], now=now - timedelta(minutes=minutes_ago)).id

    ticket(120, "urgent", "telegram")                    # waiting: past the claim timeout and its 1-hour SLA
    ticket(10, "normal", "telegram")                     # waiting, in time
    claimed = ticket(60, "high", "rest")
    closed = ticket(180, "normal", "whatsapp")
    assert service.claim(claimed, RINA, now - timedelta(minutes=50)).ok
    assert service.close(closed, RINA, now - timedelta(minutes=170)).ok

    text = render(ticket_families(service, now))
    assert value(text, "kriptocs_open_tickets", state="waiting", priority="urgent") == 1
    assert value(text, "kriptocs_open_tickets", state="waiting", priority="normal") == 1
    assert value(text, "kriptocs_open_tickets", state="with_agent", priority="high") == 1
    assert value(text, "kriptocs_open_tickets", state="with_agent", priority="normal") == 0
    assert value(text, "kriptocs_outbox_pending", outbox="tickets") == 4       # "helpdesk" is never delivered
    assert value(text, "kriptocs_outbox_oldest_pending_seconds", outbox="tickets") == 180 * 60
    handoff_count, _ = service.store.outbox.backlog(now)
    assert handoff_count > 0 and value(text, "kriptocs_outbox_pending", outbox="handoff") == handoff_count
    assert value(text, "kriptocs_handoffs_unclaimed_overdue", deadline="claim") == 1
    assert value(text, "kriptocs_handoffs_unclaimed_overdue", deadline="response") == 1
    assert value(text, "kriptocs_handoff_oldest_waiting_seconds") == 120 * 60
    assert value(text, "kriptocs_handoffs_started_total", channel="telegram") == 2
    assert value(text, "kriptocs_handoffs_started_total", channel="rest") == 1
    assert value(text, "kriptocs_handoffs_started_total", channel="whatsapp") == 1


def test_health_gauges_have_one_series_per_status():
    text = render(health_families({"telegram": {"status": "degraded", "problem": "x"}, "rest": {"status": "ok"},
                                   "odd": {"status": "weird"}}))
    assert value(text, "kriptocs_health_status", part="telegram", status="degraded") == 1
    assert value(text, "kriptocs_health_status", part="telegram", status="ok") == 0
    assert value(text, "kriptocs_health_status", part="rest", status="ok") == 1
    assert value(text, "kriptocs_health_status", part="odd", status="down") == 1


async def test_a_scrape_without_a_ticket_database_says_so_and_still_serves_the_counters(monkeypatch):
    registry = HealthRegistry()
    registry.register("rest", lambda: {"status": "ok"})
    monkeypatch.setattr(metrics_route.handoff_runtime, "_runtime", None)
    await live_metrics.track(_bot_turn)(user("greet", channel="tscrape"))
    text = (await metrics_route.scrape(registry)).decode()
    assert value(text, "kriptocs_ticket_store_up") == 0
    assert value(text, "kriptocs_health_status", part="rest", status="ok") == 1
    assert value(text, "kriptocs_messages_total", channel="tscrape", route="bot", intent="unknown") >= 1


async def _bot_turn(_: Any) -> bool:
    return False


def render(families: List[Any]) -> str:
    return metrics_route.generate_latest(metrics_route._Collected([], families)).decode()


def value(text: str, name: str, **labels: str) -> Optional[float]:
    """One sample of an exposition, by full sample name and labels (None when absent)."""
    for family in text_string_to_metric_families(text):
        for item in family.samples:
            if item.name == name and item.labels == labels:
                return item.value
    return None


# ------------------------------------------------------------------ access


def request(ip: str, token: str = "", bearer: str = "", forwarded: str = "") -> SimpleNamespace:
    headers: Dict[str, str] = {}
    if bearer:
        headers["Authorization"] = f"Bearer {bearer}"
    if forwarded:
        headers["X-Forwarded-For"] = forwarded
    return SimpleNamespace(ip=ip, args={"token": token} if token else {}, headers=headers)


@pytest.mark.parametrize("peer", ["127.0.0.1", "127.0.0.53", "::1", "[::1]", "::ffff:127.0.0.1"])
def test_loopback_peers_may_scrape_without_a_token(peer: str):
    assert metrics_route.may_scrape(request(peer), "s3cret")


@pytest.mark.parametrize("forged", [
    request("10.0.0.7"),                                    # HAProxy / another container
    request("10.0.0.7", forwarded="127.0.0.1"),             # a header anyone can write
    request("10.0.0.7", token="wrong"),
    request("10.0.0.7", bearer="wrong"),
    request("", token="s3cret" + "x"),
])
def test_other_peers_need_the_api_token(forged: SimpleNamespace):
    assert not metrics_route.may_scrape(forged, "s3cret")


def test_the_api_token_opens_it_as_query_or_bearer_but_not_when_the_server_has_none():
    assert metrics_route.may_scrape(request("203.0.113.9", token="s3cret"), "s3cret")
    assert metrics_route.may_scrape(request("203.0.113.9", bearer="s3cret"), "s3cret")
    assert not metrics_route.may_scrape(request("203.0.113.9", token="s3cret"), None)
    assert not metrics_route.may_scrape(request("203.0.113.9"), "")


async def test_rasa_configure_app_installs_metrics_with_rasas_auth_token(monkeypatch):
    routes: Dict[str, Any] = {}
    app = SimpleNamespace(ctx=SimpleNamespace(agent=None),
                          add_route=lambda handler, uri, **_: routes.__setitem__(uri, handler))

    def configure_app(input_channels=None, cors=None, auth_token=None, enable_api=True, endpoints=None, **_: Any):
        return app

    monkeypatch.setattr(metrics_route.handoff_runtime, "_runtime", None)
    # as Rasa calls it
    rasa_runtime._configure_app_with_health(configure_app)(None, None, "s3cret", True, endpoints=None)
    assert {"/health", "/metrics"} <= set(routes)
    refused = await routes["/metrics"](request("198.51.100.4", forwarded="127.0.0.1"))
    assert refused.status == 403 and b"forbidden" in refused.body
    served = await routes["/metrics"](request("198.51.100.4", bearer="s3cret"))
    assert served.status == 200 and b"kriptocs_ticket_store_up" in served.body
    assert served.content_type.startswith("text/plain")


# ------------------------------------------------------------------ several processes


def _forked_turns(count: int, channel: str) -> None:
    async def run() -> None:
        for _ in range(count):
            await live_metrics.track(_bot_turn)(user("greet", channel=channel))

    asyncio.run(run())


def test_counters_add_up_across_forked_processes(tmp_path: Path, monkeypatch):
    """What Sanic's workers do: fork after import, each counting into its own files; a scrape sums them."""
    monkeypatch.setenv(MULTIPROC_ENV, str(fresh_metrics_dir(tmp_path / "mp")))
    monkeypatch.setattr(values, "ValueClass", values.MultiProcessValue())
    fork = multiprocessing.get_context("fork")
    workers = [fork.Process(target=_forked_turns, args=(n, "tforked")) for n in (3, 4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
        assert worker.exitcode == 0
    assert len(list((tmp_path / "mp").glob("counter_*.db"))) == 2
    text = metrics_route.render([]).decode()
    assert value(text, "kriptocs_messages_total", channel="tforked", route="bot", intent="unknown") == 7
    assert value(text, "kriptocs_reply_latency_seconds_count", channel="tforked") == 7


def test_each_run_gets_an_empty_metrics_folder_in_its_servers_environment(tmp_path: Path):
    config = ServerConfig(rasa_port=16940, action_port=16941, log_dir=tmp_path, cors="*", api_token="t")
    (config.metrics_dir).mkdir()
    (config.metrics_dir / "counter_1.db").write_bytes(b"old run")
    assert AssistantServers(config).server_env()[MULTIPROC_ENV] == str(tmp_path / "metrics-16940")
    fresh_metrics_dir(config.metrics_dir)
    assert list(config.metrics_dir.iterdir()) == []
    environ: Dict[str, str] = {}
    made = ensure_metrics_dir(environ)
    try:
        assert made.is_dir() and environ[MULTIPROC_ENV] == str(made)
        assert ensure_metrics_dir(environ) == made
    finally:
        shutil.rmtree(made)


def test_multiprocess_values_are_used_even_when_prometheus_was_imported_before_the_folder_was_set(
        tmp_path: Path, monkeypatch):
    monkeypatch.setattr(values, "ValueClass", values.MutexValue)          # imported early, without the folder
    monkeypatch.delenv(MULTIPROC_ENV, raising=False)
    live_metrics._use_multiprocess_values()
    assert values.ValueClass is values.MutexValue                           # single process: left alone
    monkeypatch.setenv(MULTIPROC_ENV, str(tmp_path))
    live_metrics._use_multiprocess_values()
    assert values.ValueClass is not values.MutexValue
    live_metrics.MESSAGES.labels("tlate", "bot", "greet").inc()
    assert list(tmp_path.glob("counter_*.db"))


# ------------------------------------------------------------------ alert rules


def exposed_names() -> Set[str]:
    """Every sample name /metrics can expose."""
    families = list(live_metrics.REGISTRY.collect()) + health_families({"x": {"status": "ok"}})
    names: Set[str] = set()
    for family in families:
        names |= suffixed(family.name, family.type)
    source = (ROOT / "bot" / "analytics" / "live_gauges.py").read_text(encoding="utf-8")   # the database families
    for kind, name in re.findall(r'(Gauge|Counter)MetricFamily\(\s*"([a-z_]+)"', source):
        names |= suffixed(name, kind.lower())
    return names


def suffixed(name: str, kind: str) -> Set[str]:
    if kind == "counter":
        return {name + "_total"}
    if kind == "histogram":
        return {name + suffix for suffix in ("_bucket", "_sum", "_count")}
    return {name}


def rules() -> List[Dict[str, Any]]:
    return [rule for group in yaml.safe_load(ALERTS.read_text(encoding="utf-8"))["groups"] for rule in group["rules"]]


def test_the_alert_rules_name_only_metrics_that_exist():
    alerts = {rule["alert"]: rule for rule in rules()}
    assert {"OutboxStuck", "NoAgentClaimedWithinSLA"} <= set(alerts)
    known = exposed_names()
    for rule in alerts.values():
        used = set(re.findall(r"\bkriptocs_[a-z_]+", rule["expr"] + str(rule.get("annotations"))))
        assert used and used <= known, (rule["alert"], used - known)


PROMTOOL_TESTS = """
rule_files: [{rules}]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      # the tickets outbox: a backlog whose oldest row ages past 10 minutes at minute 5, then drains at 20
      - series: 'kriptocs_outbox_pending{{outbox="tickets", instance="a"}}'
        values: '2x19 0x10'
      - series: 'kriptocs_outbox_oldest_pending_seconds{{outbox="tickets", instance="a"}}'
        values: '300+60x19 0x10'
      # the handoff outbox: busy but always fresh
      - series: 'kriptocs_outbox_pending{{outbox="handoff", instance="a"}}'
        values: '5x30'
      - series: 'kriptocs_outbox_oldest_pending_seconds{{outbox="handoff", instance="a"}}'
        values: '30x30'
      # two replicas report the same database figure: one overdue handoff, not two
      - series: 'kriptocs_handoffs_unclaimed_overdue{{deadline="claim", instance="a"}}'
        values: '0x4 1x10 0x10'
      - series: 'kriptocs_handoffs_unclaimed_overdue{{deadline="claim", instance="b"}}'
        values: '0x4 1x10 0x10'
      - series: 'kriptocs_handoff_oldest_waiting_seconds{{instance="a"}}'
        values: '1800x30'
    alert_rule_test:
      - {{eval_time: 9m, alertname: OutboxStuck, exp_alerts: []}}
      - eval_time: 11m
        alertname: OutboxStuck
        exp_alerts:
          - exp_labels: {{severity: page, outbox: tickets}}
            exp_annotations:
              summary: The tickets outbox has not delivered for over 10 minutes
              description: >-
                Deliveries wait in the tickets outbox and the oldest is older than 10 minutes.
                `python -m bot.tickets show <ticket>` lists each delivery with its last error; GET /health shows
                `tickets` and `handoff`.
      - {{eval_time: 25m, alertname: OutboxStuck, exp_alerts: []}}
      - {{eval_time: 4m, alertname: NoAgentClaimedWithinSLA, exp_alerts: []}}
      - eval_time: 6m
        alertname: NoAgentClaimedWithinSLA
        exp_alerts:
          - exp_labels: {{severity: page}}
            exp_annotations:
              summary: 1 handoff(s) waiting for an agent past the claim timeout   # max over replicas, not 2
              description: >-
                Open the agent desk (or `python -m bot.tickets list`) and claim the waiting tickets; the longest
                has waited 30m 0s.
      - {{eval_time: 20m, alertname: NoAgentClaimedWithinSLA, exp_alerts: []}}
"""


@pytest.fixture
def promtool() -> Iterator[str]:
    found = shutil.which("promtool")
    if not found:
        pytest.fail("promtool not installed: `bash scripts/system_packages.sh` (make test) installs it "
                    "(apt-get install -y prometheus)", pytrace=False)
    yield found


def test_promtool_accepts_the_rules_and_they_fire_when_they_should(promtool: str, tmp_path: Path):
    checked = subprocess.run([promtool, "check", "rules", str(ALERTS)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tests = tmp_path / "alerts_test.yml"
    tests.write_text(PROMTOOL_TESTS.format(rules=ALERTS), encoding="utf-8")
    result = subprocess.run([promtool, "test", "rules", str(tests)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
