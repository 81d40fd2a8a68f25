"""The Telegram channel when the Bot API misbehaves (a real local fake Bot API, no Rasa): getMe, setWebhook
and getUpdates failures, hangs and malformed answers degrade the channel with one log line per problem,
are retried in the background, and clear on the next success; tokens never reach the logs or the health."""
from __future__ import annotations

import asyncio
import logging
from typing import Any, AsyncIterator, Callable, Iterator, List

import pytest
from rasa.core.channels.channel import UserMessage

from bot.channels.telegram import POLLING, TelegramInput, TelegramSettings
from bot.channels.telegram_runtime import NOT_CONNECTED, TelegramRuntime
from bot.health import HealthRegistry
from tests.channels import telegram_builders as build
from tests.channels.fake_telegram import GET_ME_HANGING, GET_ME_MALFORMED, GET_ME_OK, FakeBotAPI

PUBLIC_URL = "https://cs.contoh.test/webhooks/telegram/webhook"
SECRET = "rahasia_Webhook-2024"


@pytest.fixture(autouse=True)
def state_db(tmp_path, monkeypatch) -> None:
    """Replay and button state in a temporary folder."""
    monkeypatch.setenv("CHANNEL_STATE_DB", str(tmp_path / "channels.db"))


@pytest.fixture(autouse=True)
def channel_logs(caplog: pytest.LogCaptureFixture) -> None:
    """Capture the channels' INFO lines too ("recovered")."""
    caplog.set_level(logging.INFO, logger="bot.channels")


@pytest.fixture()
def api() -> Iterator[FakeBotAPI]:
    """A fresh fake Bot API per test (call order matters here), with short long polls."""
    server = FakeBotAPI(max_poll_wait=0.2)
    yield server
    server.close()


class Recorder:
    """Stands in for Rasa's message handler: records the texts and answers each one."""

    def __init__(self) -> None:
        self.texts: List[str] = []

    async def __call__(self, message: UserMessage) -> None:
        self.texts.append(message.text)
        await message.output_channel.send_text_message(message.sender_id, f"Jawaban: {message.text}")


@pytest.fixture()
async def runtime(api: FakeBotAPI) -> AsyncIterator[TelegramRuntime]:
    running = TelegramRuntime(api.token, api.api_url, Recorder(), request_timeout=1.0, first_backoff=0.1)
    yield running
    await running.stop()


async def eventually(condition: Callable[[], Any], timeout: float = 30.0) -> Any:
    """``condition()`` once it is truthy (checked every 50 ms); fails after ``timeout`` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met"
        await asyncio.sleep(0.05)
    return condition()


def log_lines(caplog: pytest.LogCaptureFixture, word: str) -> List[str]:
    return [r.getMessage() for r in caplog.records if r.name.startswith("bot.channels") and word in r.getMessage()]


def methods(api: FakeBotAPI) -> List[str]:
    return [call.method for call in list(api.calls)]


# --- getMe ------------------------------------------------------------------------------------------------

async def test_health_says_not_connected_until_getme_answers(api, runtime):
    assert runtime.status(mode=POLLING) == {"status": "degraded", "mode": POLLING, "problem": NOT_CONNECTED}
    await runtime.start()
    assert runtime.status(mode=POLLING) == {"status": "ok", "mode": POLLING}


async def test_a_hanging_getme_times_out_degrades_and_recovers_when_it_answers(api, runtime, caplog):
    api.get_me_mode = GET_ME_HANGING
    await runtime.start()                                      # gives up after the request timeout; no raise
    assert runtime.problem == "getMe failed (TimedOut: Timed out)"
    api.get_me_mode = GET_ME_OK
    await eventually(lambda: runtime.problem is None)
    assert runtime.bot.username == "cs_kripto_bot"
    assert len(log_lines(caplog, "degraded")) == 1 and len(log_lines(caplog, "recovered")) == 1


async def test_a_malformed_getme_degrades_without_raising(api, runtime):
    api.get_me_mode = GET_ME_MALFORMED                         # {"id": ...}: is_bot and first_name missing
    await runtime.start()
    assert runtime.problem.startswith("getMe failed (")
    api.get_me_mode = GET_ME_OK
    await eventually(lambda: runtime.problem is None)


async def test_a_refused_token_never_reaches_the_problem_or_the_logs(api, caplog):
    wrong = TelegramRuntime("777000:WRONG-secret-token", api.api_url, Recorder(), request_timeout=1.0,
                            first_backoff=0.1)
    try:
        await wrong.start()
        assert wrong.problem and "InvalidToken" in wrong.problem and "<token>" in wrong.problem
        assert "WRONG-secret-token" not in wrong.problem
        assert "WRONG-secret-token" not in caplog.text and len(log_lines(caplog, "degraded")) == 1
    finally:
        await wrong.stop()


async def test_polling_waits_for_getme_before_calling_getupdates(api, runtime):
    api.fail("getMe", status=502, description="Bad Gateway", times=2)
    runtime.launch(polling=True)
    await eventually(lambda: runtime.problem is None)
    recorder: Recorder = runtime.on_new_message   # type: ignore[assignment]
    api.push(build.text_update(None, 4242, "cara deposit rupiah"))   # type: ignore[arg-type]
    await eventually(lambda: recorder.texts == ["cara deposit rupiah"] and api.messages(4242))
    assert [(c.method, c.status) for c in api.calls[:3]] == [("getMe", 502), ("getMe", 502), ("getMe", 200)]
    assert methods(api)[3] == "deleteWebhook"                        # nothing else before getMe succeeded


# --- setWebhook -------------------------------------------------------------------------------------------

async def test_a_failing_setwebhook_is_retried_until_accepted(api, runtime, caplog):
    api.fail("setWebhook", status=500, description="Internal Server Error", times=2)
    runtime.launch(polling=False, webhook_url=PUBLIC_URL, webhook_secret=SECRET)
    await eventually(lambda: log_lines(caplog, "recovered"))     # the problem is short-lived: read the log
    assert runtime.problem is None
    assert api.webhook["url"] == PUBLIC_URL and api.webhook["secret_token"] == SECRET
    assert [c.status for c in api.calls_to("setWebhook")] == [500, 500, 200]
    assert log_lines(caplog, "degraded") == [
        "telegram channel degraded: setWebhook failed (NetworkError: Internal Server Error); "
        "retrying in the background with backoff"]
    assert len(log_lines(caplog, "recovered")) == 1


async def test_setwebhook_waits_for_getme(api, runtime):
    api.fail("getMe", status=500, times=1)
    runtime.launch(polling=False, webhook_url=PUBLIC_URL, webhook_secret=SECRET)
    await eventually(lambda: api.webhook)
    assert [(c.method, c.status) for c in api.calls] == [("getMe", 500), ("getMe", 200), ("setWebhook", 200)]
    assert runtime.problem is None


async def test_a_refused_webhook_url_keeps_the_channel_degraded_with_one_log_line(api, runtime, caplog):
    runtime.launch(polling=False, webhook_url="http://tidak-https.contoh.test/hook", webhook_secret=SECRET)
    await eventually(lambda: len(api.calls_to("setWebhook")) >= 2)   # retried in the background
    assert runtime.problem == ("setWebhook failed (BadRequest: Bad webhook: an https url must be provided "
                               "for webhook)")
    assert len(log_lines(caplog, "degraded")) == 1


# --- getUpdates -------------------------------------------------------------------------------------------

async def started_polling(api: FakeBotAPI, runtime: TelegramRuntime) -> Recorder:
    runtime.launch(polling=True)
    await eventually(lambda: api.calls_to("getUpdates"))
    return runtime.on_new_message   # type: ignore[return-value]


async def test_failing_getupdates_degrades_once_and_recovers(api, runtime, caplog):
    recorder = await started_polling(api, runtime)
    api.fail("getUpdates", status=500, description="Internal Server Error", times=2)
    await eventually(lambda: log_lines(caplog, "recovered"))
    assert runtime.problem is None and log_lines(caplog, "degraded") == [
        "telegram channel degraded: getUpdates failed (NetworkError: Internal Server Error); "
        "retrying in the background with backoff"]
    api.push(build.text_update(None, 5151, "cara deposit rupiah"))   # type: ignore[arg-type]
    await eventually(lambda: recorder.texts == ["cara deposit rupiah"])
    assert len(log_lines(caplog, "degraded")) == 1 and len(log_lines(caplog, "recovered")) == 1


async def test_a_getupdates_result_that_is_not_an_array_degrades_the_loop_keeps_going(api, runtime, caplog):
    recorder = await started_polling(api, runtime)
    api.answer_updates_with({"update_id": 1, "message": {}})
    await eventually(lambda: log_lines(caplog, "recovered"))
    assert log_lines(caplog, "recovered") == [
        "telegram channel recovered (was: getUpdates failed (UnexpectedAnswer: result is dict, not an array of "
        "updates))"]
    api.push(build.text_update(None, 5252, "halo"))                  # type: ignore[arg-type]
    await eventually(lambda: recorder.texts == ["halo"])
    assert len(log_lines(caplog, "degraded")) == 1


async def test_a_non_object_update_degrades_and_the_others_of_the_batch_are_handled(api, runtime, caplog):
    recorder = await started_polling(api, runtime)
    good = build.text_update(api.next_update_id(), 5353, "cara withdraw")
    api.answer_updates_with([42, good, "bukan update"])
    await eventually(lambda: recorder.texts == ["cara withdraw"])
    await eventually(lambda: log_lines(caplog, "recovered"))       # the next clean batch clears it
    assert log_lines(caplog, "degraded") == [
        "telegram channel degraded: getUpdates failed (UnexpectedAnswer: unreadable update in the batch: an "
        "update must be a JSON object); retrying in the background with backoff"]
    offsets = [c.params.get("offset") for c in api.calls_to("getUpdates")]
    assert str(good["update_id"] + 1) in offsets                     # the good update was confirmed


# --- health registry --------------------------------------------------------------------------------------

async def test_the_channel_registers_its_health_and_a_disabled_one_says_what_is_missing(api, monkeypatch):
    registry = HealthRegistry()
    monkeypatch.setattr("bot.channels.telegram.health", registry)
    monkeypatch.setattr("bot.health.health", registry)
    channel = TelegramInput(TelegramSettings(token=api.token, mode=POLLING, api_base_url=api.api_url))
    channel.blueprint(Recorder())
    _, body = await registry.report()
    assert body["parts"]["telegram"] == {"status": "degraded", "mode": POLLING, "problem": NOT_CONNECTED}
    await channel.runtime.start()
    try:
        _, body = await registry.report()
        assert body["parts"]["telegram"] == {"status": "ok", "mode": POLLING}
    finally:
        await channel.runtime.stop()

    TelegramInput(TelegramSettings(token="")).blueprint(Recorder())
    _, body = await registry.report()
    assert body["parts"]["telegram"] == {"status": "disabled", "missing": ["TELEGRAM_BOT_TOKEN"]}
