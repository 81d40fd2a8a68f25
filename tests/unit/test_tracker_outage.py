"""A tracker store outage (bot.tracker_outage and its retry in bot.channels.intake): answered turns are kept
and written once the database answers, unreadable conversations are refused for a retry, health shows it.
Rasa's own tracker classes over an in-memory store that can be switched off; no Rasa server."""
from __future__ import annotations

import asyncio
import time
from typing import List, Optional

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot import tracker_outage
from bot.channels.intake import IntakeSettings, MessageIntake, WhenBusy
from bot.handoff.gate import HandoffGate
from bot.health import DEGRADED, OK
from bot.limits.capacity import Overloaded
from bot.tracker_outage import OutageTolerantTrackerStore, TrackerStoreUnavailable
from tests.handoff.fixtures import Desk

DOMAIN = Domain.empty()


class SwitchableStore(InMemoryTrackerStore):
    """An in-memory tracker store that fails like an unreachable database: reads while ``down`` or
    ``reads_down``, writes while ``down``."""

    def __init__(self) -> None:
        super().__init__(DOMAIN)
        self.down = self.reads_down = False

    @staticmethod
    def _fail_if(failing: bool) -> None:
        if failing:
            raise ConnectionError("connection refused")

    async def save(self, tracker: DialogueStateTracker) -> None:
        self._fail_if(self.down)
        await super().save(tracker)

    async def retrieve(self, sender_id: str) -> Optional[DialogueStateTracker]:
        self._fail_if(self.down or self.reads_down)
        return await super().retrieve(sender_id)

    async def retrieve_full_tracker(self, sender_id: str) -> Optional[DialogueStateTracker]:
        self._fail_if(self.down or self.reads_down)
        return await super().retrieve_full_tracker(sender_id)


def texts(tracker: Optional[DialogueStateTracker]) -> List[str]:
    assert tracker is not None
    return [event.text for event in tracker.events if isinstance(event, (UserUttered, BotUttered))]


async def turn(store: OutageTolerantTrackerStore, sender: str, text: str,
               database_fails_meanwhile: Optional[SwitchableStore] = None) -> None:
    """One turn as Rasa runs it: read the conversation, add the customer's message and the reply, save;
    ``database_fails_meanwhile`` goes down after the read (the outage begins mid-turn)."""
    tracker = await store.retrieve(sender) or DialogueStateTracker(sender, DOMAIN.slots)
    if database_fails_meanwhile is not None:
        database_fails_meanwhile.down = True
    tracker.update(UserUttered(text))
    tracker.update(BotUttered(f"jawaban {text}"))
    await store.save(tracker)


@pytest.fixture
def database() -> SwitchableStore:
    return SwitchableStore()


@pytest.fixture
def store(database: SwitchableStore, monkeypatch: pytest.MonkeyPatch) -> OutageTolerantTrackerStore:
    monkeypatch.setattr(tracker_outage, "FLUSH_INTERVAL_SECONDS", 0.01)
    return OutageTolerantTrackerStore(database)


async def test_turns_answered_during_an_outage_are_kept_continued_and_written_afterwards(store, database):
    await turn(store, "budi", "wd saya belum masuk")
    await turn(store, "budi", "sudah 2 jam", database_fails_meanwhile=database)   # answered, then not saved
    await turn(store, "budi", "bank BCA")                        # continues from the kept conversation
    assert store.unsaved == {"budi"}
    assert (await store.health())["status"] == DEGRADED
    database.down = False
    await asyncio.wait_for(store._flusher, timeout=5)           # the background writer, no new message needed
    assert texts(await database.retrieve("budi")) == [
        "wd saya belum masuk", "jawaban wd saya belum masuk", "sudah 2 jam", "jawaban sudah 2 jam",
        "bank BCA", "jawaban bank BCA"]
    assert store.unsaved == set() and (await store.health())["status"] == OK


async def test_a_conversation_that_cannot_be_read_is_refused_for_a_retry_not_started_empty(store, database):
    await turn(store, "sari", "halo")
    database.down = True
    with pytest.raises(TrackerStoreUnavailable) as refused:
        await store.retrieve("sari")
    assert isinstance(refused.value, Overloaded) and refused.value.retry_after == 5
    health = await store.health()
    assert health["status"] == DEGRADED and "connection refused" in health["problem"]
    database.down = False
    assert texts(await store.retrieve("sari")) == ["halo", "jawaban halo"]
    assert (await store.health())["status"] == OK


async def test_the_next_message_writes_the_kept_conversation_first(store, database, monkeypatch):
    monkeypatch.setattr(tracker_outage, "FLUSH_INTERVAL_SECONDS", 60.0)   # only the message can write it
    await turn(store, "andi", "deposit belum masuk", database_fails_meanwhile=database)
    database.down = False
    await turn(store, "andi", "pakai BNI")
    assert texts(await database.retrieve("andi")) == ["deposit belum masuk", "jawaban deposit belum masuk",
                                                      "pakai BNI", "jawaban pakai BNI"]
    store._flusher.cancel()


class Unreadable:
    """Rasa's ``on_new_message`` while the conversation cannot be read ``failures`` times."""

    def __init__(self, failures: int) -> None:
        self.failures, self.calls = failures, 0

    async def __call__(self, message: UserMessage) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise TrackerStoreUnavailable(ConnectionError("down"))
        await message.output_channel.send_text_message(message.sender_id, "jawaban")


@pytest.fixture
def gate(sqlite_desk: Desk) -> HandoffGate:
    return HandoffGate(lambda: sqlite_desk.service)


async def test_acknowledged_platform_messages_are_tried_again_until_the_conversation_can_be_read(gate):
    bot, output = Unreadable(failures=1), CollectingOutputChannel()
    handle = MessageIntake(IntakeSettings()).wrap(bot, gate, WhenBusy.WAIT)
    started = time.monotonic()
    await handle(UserMessage("wd gagal", output, "62811", input_channel="whatsapp"))
    assert bot.calls == 2 and [m["text"] for m in output.messages] == ["jawaban"]
    assert time.monotonic() - started >= 1.0                     # waited before trying again


async def test_rest_passes_the_refusal_on_for_a_503(gate):
    bot, output = Unreadable(failures=1), CollectingOutputChannel()
    handle = MessageIntake(IntakeSettings()).wrap(bot, gate, WhenBusy.REFUSE)
    with pytest.raises(Overloaded):
        await handle(UserMessage("wd gagal", output, "budi", input_channel="rest"))
    assert bot.calls == 1 and output.messages == []


async def test_a_platform_message_is_given_up_after_the_background_wait(gate):
    bot, output = Unreadable(failures=100), CollectingOutputChannel()
    handle = MessageIntake(IntakeSettings(background_wait=0.5)).wrap(bot, gate, WhenBusy.WAIT)
    with pytest.raises(TrackerStoreUnavailable):
        await handle(UserMessage("wd gagal", output, "62811", input_channel="whatsapp"))
    assert bot.calls == 1
