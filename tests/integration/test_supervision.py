"""``python -m bot.serve`` (what ``make run`` runs) supervises its servers: a killed action server is
restarted and the assistant answers again, a second instance on the same ports refuses to start, and
SIGTERM stops both servers. Runs in its own temporary folder on ports 16005/16055; the repository's var/
is not touched."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Callable, Dict, Iterator, List

import psutil
import pytest
import requests

from bot.servers import ROOT, child_env
from bot.wording import APOLOGY

pytestmark = pytest.mark.integration
RASA_PORT, ACTION_PORT = 16005, 16055
RASA_URL = f"http://127.0.0.1:{RASA_PORT}"
START_TIMEOUT = 300.0


class ServeProcess:
    """``python -m bot.serve`` running as a child, its console collected line by line."""

    def __init__(self, work: Path, var_dir: Path) -> None:
        env = child_env()
        env.update({"TICKETS_DB_URL": f"sqlite:///{work / 'tickets.db'}", "CHANNEL_STATE_DB": str(work / "channels.db"),
                    "NOTIFIERS_CONFIG": str(work / "notifiers.yml"), "DESKS_CONFIG": str(work / "desks.yml"),
                    "TELEGRAM_BOT_TOKEN": "", "WHATSAPP_ACCESS_TOKEN": "", "WHATSAPP_APP_SECRET": ""})
        env.pop("RASA_API_TOKEN", None)
        self.lines: List[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.serve", "--port", str(RASA_PORT), "--action-port", str(ACTION_PORT),
             "--var-dir", str(var_dir)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for_line(self, text: str, timeout: float, count: int = 1) -> List[str]:
        """The console lines containing ``text`` once there are ``count`` of them."""
        def matching() -> List[str]:
            return [line for line in list(self.lines) if text in line]
        wait_for(lambda: len(matching()) >= count or self.process.poll() is not None, timeout,
                 f"{text!r} on the console")
        assert len(matching()) >= count, "\n".join(self.lines[-40:])
        return matching()

    def servers(self) -> Dict[str, psutil.Process]:
        """The supervisor's two server processes by kind ("actions", "rasa")."""
        found: Dict[str, psutil.Process] = {}
        for process in psutil.Process(self.process.pid).children():
            command = " ".join(process.cmdline())
            if "rasa_sdk" in command:
                found["actions"] = process
            elif "bot.rasa_runtime" in command:
                found["rasa"] = process
        return found


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what} not within {timeout:.0f} s")


def gone(process: psutil.Process) -> bool:
    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def rest_texts(message: str) -> List[str]:
    """The assistant's reply texts to ``message`` from a fresh REST sender."""
    reply = requests.post(f"{RASA_URL}/webhooks/rest/webhook",
                          json={"sender": f"sup-{uuid.uuid4().hex[:8]}", "message": message}, timeout=60)
    reply.raise_for_status()
    return [r.get("text") or "" for r in reply.json()]


def real_answer(message: str) -> List[str]:
    """The reply texts if the assistant really answered (no apology, no error), else an empty list."""
    try:
        texts = rest_texts(message)
    except requests.RequestException:
        return []
    return texts if any(texts) and APOLOGY not in texts else []


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("supervision")
    (folder / "notifiers.yml").write_text("notifiers: {}\n", encoding="utf-8")
    (folder / "desks.yml").write_text("desks: {}\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def assistant(work: Path) -> Iterator[ServeProcess]:
    """One supervised assistant for the whole module (the last test stops it)."""
    serve = ServeProcess(work, work / "var")
    try:
        serve.wait_for_line("The assistant is running.", START_TIMEOUT)
        yield serve
    finally:   # normally the last test has stopped it already
        if serve.process.poll() is None:
            children = list(serve.servers().values())
            serve.process.send_signal(signal.SIGTERM)
            try:
                serve.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                serve.process.kill()
            for child in children:
                if not gone(child):
                    os.killpg(child.pid, signal.SIGKILL)


def test_a_killed_action_server_is_restarted_and_the_assistant_answers_again(assistant):
    before = assistant.servers()
    assert real_answer("cara deposit rupiah"), "the assistant answers before the kill"
    os.kill(before["actions"].pid, signal.SIGKILL)
    restart = assistant.wait_for_line("action server exited", 30)
    assert restart == ["action server exited with status -9 (SIGKILL); restarting in 1 s (restart 1)"]
    texts = wait_for(lambda: real_answer("cara deposit rupiah"), 60, "a real answer after the restart")
    assert any("deposit" in text.lower() for text in texts), texts
    assistant.wait_for_line("The assistant is running again.", 60)
    after = assistant.servers()
    assert after["actions"].pid != before["actions"].pid
    assert after["rasa"].pid == before["rasa"].pid, "Rasa keeps running while the action server restarts"


def test_a_second_instance_on_the_same_ports_refuses_to_start(assistant, work):
    token_before = (work / "var" / "api_token").read_text()
    env = child_env()
    env.update({"TICKETS_DB_URL": f"sqlite:///{work / 'second-tickets.db'}",
                "CHANNEL_STATE_DB": str(work / "second-channels.db")})
    second = subprocess.run([sys.executable, "-m", "bot.serve", "--port", str(RASA_PORT), "--action-port",
                             str(ACTION_PORT), "--var-dir", str(work / "second-var")],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert second.returncode == 2, second.stdout + second.stderr
    assert second.stderr.strip() == (
        f"Cannot start: Rasa port {RASA_PORT}, action port {ACTION_PORT} on 127.0.0.1 are already in use: "
        "another assistant may still be running; stop it or set RASA_PORT / ACTION_PORT.")
    assert "running" not in second.stdout
    assert not (work / "second-var").exists()
    assert (work / "var" / "api_token").read_text() == token_before
    assert real_answer("cara deposit rupiah"), "the first assistant still answers"


def test_sigterm_stops_the_supervisor_and_both_servers(assistant):
    servers = assistant.servers()
    assert set(servers) == {"actions", "rasa"}
    assistant.process.send_signal(signal.SIGTERM)
    assert assistant.process.wait(timeout=60) == 0
    assistant.wait_for_line("Stopped.", 10)
    for kind, process in servers.items():
        assert gone(process), f"the {kind} server (pid {process.pid}) is still running"
