"""What every channel's handler does under load: flood limit before the handoff gate, the cap around Rasa
(a real gate on SQLite and Rasa's own message classes; fake clock; no Rasa server)."""
from __future__ import annotations

import asyncio
from typing import Any, List

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from bot import wording
from bot.channels.intake import IntakeSettings, MessageIntake, WhenBusy
from bot.handoff.gate import HandoffGate
from bot.health import DEGRADED, OK
from bot.limits.capacity import Overloaded
from tests.handoff.fixtures import Desk
from tests.unit.test_flood_limits import FakeClock
from tests.unit.test_whatsapp_channel import WA_ID, channel, fake, graph_api, signed, state_db, text, webhook  # noqa: F401


class Bot:
    """Stands in for Rasa's ``on_new_message``: records what reached it; can be held to fill the cap."""

    def __init__(self) -> None:
        self.reached: List[str] = []
        self.release = asyncio.Event()
        self.hold = False

    async def __call__(self, message: UserMessage) -> None:
        self.reached.append(message.text)
        if self.hold:
            await self.release.wait()
        await message.output_channel.send_text_message(message.sender_id, f"jawaban: {message.text}")


def message(sender: str, text: str, output: CollectingOutputChannel, channel: str = "rest",
            **metadata: Any) -> UserMessage:
    return UserMessage(text, output, sender, input_channel=channel, metadata=metadata)


def sent(output: CollectingOutputChannel) -> List[str]:
    return [m.get("text") or "" for m in output.messages]


@pytest.fixture
def gate(sqlite_desk: Desk) -> HandoffGate:
    return HandoffGate(lambda: sqlite_desk.service)


async def test_a_flood_gets_one_slow_down_reply_and_no_bot_work(gate: HandoffGate):
    bot, output = Bot(), CollectingOutputChannel()
    handle = MessageIntake(IntakeSettings(messages_per_minute=3), clock=FakeClock()).wrap(bot, gate, WhenBusy.REFUSE)
    handled = [await handle(message("budi", f"pesan {n}", output)) for n in range(1, 9)]
    assert bot.reached == ["pesan 1", "pesan 2", "pesan 3"]
    assert handled == [False] * 3 + [True] * 5                      # dropped on purpose: no apology
    assert sent(output).count(wording.FLOOD_SLOW_DOWN) == 1 and len(sent(output)) == 4


async def test_another_customer_and_the_same_id_on_another_channel_are_not_affected(gate: HandoffGate):
    bot, output = Bot(), CollectingOutputChannel()
    handle = MessageIntake(IntakeSettings(messages_per_minute=2), clock=FakeClock()).wrap(bot, gate, WhenBusy.REFUSE)
    for n in range(5):
        await handle(message("budi", f"banjir {n}", output))
    await handle(message("siti", "cara deposit", output))
    await handle(message("budi", "halo dari web", output, channel="socketio"))
    assert bot.reached == ["banjir 0", "banjir 1", "cara deposit", "halo dari web"]


async def test_a_customer_is_served_again_a_minute_later_and_warned_again_only_then(gate: HandoffGate):
    clock, bot, output = FakeClock(), Bot(), CollectingOutputChannel()
    handle = MessageIntake(IntakeSettings(messages_per_minute=1), clock=clock).wrap(bot, gate, WhenBusy.REFUSE)
    await handle(message("budi", "satu", output))
    await handle(message("budi", "dua", output))
    clock.advance(60)
    await handle(message("budi", "tiga", output))
    await handle(message("budi", "empat", output))
    assert bot.reached == ["satu", "tiga"] and sent(output).count(wording.FLOOD_SLOW_DOWN) == 2


async def test_during_a_handoff_a_flood_is_not_forwarded_to_the_agent(
        sqlite_desk: Desk, gate: HandoffGate):
    bot, output = Bot(), CollectingOutputChannel()
    handle = MessageIntake(IntakeSettings(messages_per_minute=3), clock=FakeClock()).wrap(bot, gate, WhenBusy.WAIT)
    for n in range(10):
        await handle(message(sqlite_desk.customer_id, f"halo {n}?", output, channel="telegram"))
    assert sqlite_desk.to_agents() == ["halo 0?", "halo 1?", "halo 2?"] and bot.reached == []
    assert sent(output).count(wording.FLOOD_SLOW_DOWN) == 1


async def test_a_dropped_message_with_a_secret_still_gets_the_secrets_warning_once(gate: HandoffGate):
    bot, output = Bot(), CollectingOutputChannel()
    handle = MessageIntake(IntakeSettings(messages_per_minute=1), clock=FakeClock()).wrap(bot, gate, WhenBusy.REFUSE)
    await handle(message("budi", "halo", output))
    for _ in range(3):
        await handle(message("budi", "ini [seed phrase disamarkan]", output, redacted_secrets=["seed_phrase"]))
    warnings = [text for text in sent(output) if text.startswith("PENTING")]
    assert len(warnings) == 1 and "seed phrase" in warnings[0] and bot.reached == ["halo"]


async def test_button_payloads_count_as_messages(gate: HandoffGate):
    bot, output = Bot(), CollectingOutputChannel()
    handle = MessageIntake(IntakeSettings(messages_per_minute=2), clock=FakeClock()).wrap(bot, gate, WhenBusy.REFUSE)
    for _ in range(4):
        await handle(message("budi", "/greet", output))
    assert bot.reached == ["/greet", "/greet"]


async def test_a_whatsapp_flood_gets_one_slow_down_message_and_no_apology(fake, state_db,  # noqa: F811
                                                                           gate: HandoffGate):
    whatsapp = channel(fake.api_base_url)
    bot = Bot()
    handle = MessageIntake(IntakeSettings(messages_per_minute=2), clock=FakeClock()).wrap(bot, gate, WhenBusy.WAIT)
    raw = webhook(*(text(f"pesan {n}", f"wamid.FLOOD{n}") for n in range(6)))
    await whatsapp.process(whatsapp.accept(raw, signed(raw)), handle)
    bodies = [m["text"]["body"] for m in fake.messages_to(WA_ID)]
    assert bodies == ["jawaban: pesan 0", "jawaban: pesan 1", wording.FLOOD_SLOW_DOWN]
    await whatsapp._open()[2].aclose()


async def hold_the_only_slot(handle: Any, bot: Bot) -> asyncio.Task:
    """Start a message that stays in the (single-slot) bot until ``bot.release`` is set."""
    bot.hold = True
    holder = asyncio.ensure_future(handle(message("pemegang", "pertama", CollectingOutputChannel())))
    while not bot.reached:
        await asyncio.sleep(0)
    return holder


async def test_rest_messages_beyond_the_cap_and_queue_are_refused_for_a_503(gate: HandoffGate):
    bot, clock = Bot(), FakeClock()
    intake = MessageIntake(IntakeSettings(max_concurrent=1, max_queued=0), clock=clock)
    handle = intake.wrap(bot, gate, WhenBusy.REFUSE)
    holder = await hold_the_only_slot(handle, bot)
    with pytest.raises(Overloaded) as refused:
        await handle(message("budi", "kedua", CollectingOutputChannel()))
    assert refused.value.retry_after >= 1 and bot.reached == ["pertama"]
    status = intake.status()
    assert status["status"] == DEGRADED and status["in_flight"] == 1 and status["rejected"] == 1
    bot.release.set()
    await holder
    clock.advance(61)
    assert intake.status()["status"] == OK and intake.status()["in_flight"] == 0


async def test_web_chat_messages_beyond_the_cap_get_a_polite_busy_reply(gate: HandoffGate):
    bot = Bot()
    handle = MessageIntake(IntakeSettings(max_concurrent=1, max_queued=0), clock=FakeClock()).wrap(
        bot, gate, WhenBusy.SAY_BUSY)
    holder = await hold_the_only_slot(handle, bot)
    output = CollectingOutputChannel()
    await handle(message("budi", "kedua", output, channel="socketio"))
    assert sent(output) == [wording.BUSY] and bot.reached == ["pertama"]
    bot.release.set()
    await holder


async def test_acknowledged_platform_messages_wait_in_line_instead_of_being_refused(gate: HandoffGate):
    bot = Bot()
    intake = MessageIntake(IntakeSettings(max_concurrent=1, max_queued=0), clock=FakeClock())
    handle = intake.wrap(bot, gate, WhenBusy.WAIT)
    holder = await hold_the_only_slot(handle, bot)
    outputs = [CollectingOutputChannel() for _ in range(3)]
    waiting = [asyncio.ensure_future(handle(message(f"wa-{n}", f"antre {n}", outputs[n], channel="whatsapp")))
               for n in range(3)]
    while intake.cap.queued < 3:                   # past the gate (a database thread each), into the line
        assert not any(task.done() for task in waiting)
        await asyncio.sleep(0.01)
    assert bot.reached == ["pertama"] and intake.cap.rejected == 0
    bot.release.set()
    await asyncio.gather(holder, *waiting)
    assert sorted(bot.reached) == ["antre 0", "antre 1", "antre 2", "pertama"]
    assert [sent(output) for output in outputs] == [[f"jawaban: antre {n}"] for n in range(3)]


async def test_a_platform_message_that_waits_too_long_gets_the_busy_reply(gate: HandoffGate):
    bot = Bot()
    handle = MessageIntake(IntakeSettings(max_concurrent=1, background_wait=0.01), clock=FakeClock()).wrap(
        bot, gate, WhenBusy.WAIT)
    holder = await hold_the_only_slot(handle, bot)
    output = CollectingOutputChannel()
    await handle(message("wa-1", "lama", output, channel="whatsapp"))
    assert sent(output) == [wording.BUSY] and bot.reached == ["pertama"]
    bot.release.set()
    await holder


async def test_zero_turns_both_limits_off(gate: HandoffGate):
    bot, output = Bot(), CollectingOutputChannel()
    intake = MessageIntake(IntakeSettings(messages_per_minute=0, max_concurrent=0), clock=FakeClock())
    handle = intake.wrap(bot, gate, WhenBusy.REFUSE)
    for n in range(50):
        await handle(message("budi", f"pesan {n}", output))
    assert len(bot.reached) == 50 and intake.status() == {"status": OK}


def test_settings_come_from_the_environment_and_nonsense_falls_back_to_the_defaults():
    settings = IntakeSettings.from_env({"FLOOD_MESSAGES_PER_MINUTE": "5", "MAX_CONCURRENT_MESSAGES": "1",
                                        "MAX_QUEUED_MESSAGES": "0", "MAX_QUEUE_WAIT_SECONDS": "2.5",
                                        "MAX_BACKGROUND_WAIT_SECONDS": "abc"})
    assert settings == IntakeSettings(messages_per_minute=5, max_concurrent=1, max_queued=0, max_queue_wait=2.5)
    assert IntakeSettings.from_env({"FLOOD_MESSAGES_PER_MINUTE": "-3"}).messages_per_minute == 20
    assert IntakeSettings.from_env({}) == IntakeSettings()
