"""bot.supervisor, bot.child_server and bot.ports with real child processes (tiny HTTP servers, scripts that
exit) instead of Rasa: restart with backoff, giving up, start-up failures, stopping, the port check."""
from __future__ import annotations

import os
import signal
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Callable, Iterator, List

import psutil
import pytest

from bot import serve
from bot.child_server import ChildServer, ServerSpec, describe_exit
from bot.ports import PortInUseError, check_ports_free, port_in_use
from bot.servers import AssistantServers, ServerConfig
from bot.supervisor import Backoff, RestartPolicy, Supervisor

# Ports 16070-16099 are this module's (16005-16069 belong to the integration test of bot.serve).
HEALTH_PORT, TAKEN_PORT, FREE_PORT = 16071, 16090, 16091

# A health endpoint that exits with status 3 after LIFETIME seconds (0: never); with a third argument it
# first starts a sleeping grandchild and writes that pid to the named file.
HEALTH_SERVER = r"""
import http.server, os, subprocess, sys, threading
port, lifetime = int(sys.argv[1]), float(sys.argv[2])
if len(sys.argv) > 3:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    open(sys.argv[3], "w").write(str(sleeper.pid))
class Ok(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", port), Ok)
if lifetime > 0:
    threading.Timer(lifetime, os._exit, (3,)).start()
server.serve_forever()
"""


def child(tmp_path: Path, *args: str, name: str = "test server", script: str = HEALTH_SERVER) -> ChildServer:
    """A server running ``script`` with ``args``, healthy when it answers on HEALTH_PORT."""
    return ChildServer(ServerSpec(name=name, command=[sys.executable, "-c", script, *args],
                                  health_url=f"http://127.0.0.1:{HEALTH_PORT}/health", cwd=tmp_path,
                                  log_path=tmp_path / "server.log", env=dict(os.environ)))


class Console:
    """The supervisor's console lines, collected from its thread."""

    def __init__(self) -> None:
        self.lines: List[str] = []

    def __call__(self, line: str) -> None:
        self.lines.append(line)

    def wait_for(self, text: str, count: int = 1, timeout: float = 30.0) -> List[str]:
        matching = lambda: [line for line in list(self.lines) if text in line]  # noqa: E731
        wait_until(lambda: len(matching()) >= count, timeout, f"{count} x {text!r} in {self.lines}")
        return matching()


def wait_until(condition: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout:.0f} s: {what}")


class Running:
    """A supervisor running in a thread; ``status`` is set when ``run`` returns."""

    def __init__(self, supervisor: Supervisor) -> None:
        self.supervisor, self.stop, self.status = supervisor, threading.Event(), None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        self.status = self.supervisor.run(self.stop)

    def finish(self, timeout: float = 30.0) -> int:
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the supervisor did not return"
        return self.status


@pytest.fixture()
def supervised() -> Iterator[Callable[[Supervisor], Running]]:
    started: List[Running] = []

    def start(supervisor: Supervisor) -> Running:
        started.append(Running(supervisor))
        return started[-1]

    yield start
    for running in started:
        running.stop.set()
        running.finish()


def gone(pid: int) -> bool:
    """The process no longer exists (or is a zombie nobody reaped yet)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


# --- the restart policy ------------------------------------------------------------------------------------


def test_delay_doubles_up_to_the_maximum_and_gives_up_at_max_exits_in_the_window():
    backoff = Backoff(RestartPolicy(initial_delay=1, max_delay=4, max_exits=5, window=120))
    assert [backoff.on_exit(now) for now in (0, 10, 20, 30)] == [1, 2, 4, 4]
    assert backoff.restarts == 4
    assert backoff.on_exit(40) is None


def test_exits_older_than_the_window_do_not_count():
    backoff = Backoff(RestartPolicy(initial_delay=1, max_delay=30, max_exits=3, window=10))
    assert backoff.on_exit(0) == 1 and backoff.on_exit(5) == 2
    assert backoff.on_exit(16) == 4           # the exits at 0 and 5 left the window
    assert backoff.on_exit(20) == 8           # two exits (16, 20) in the window
    assert backoff.on_exit(25) is None        # three: 16, 20, 25


def test_backoff_starts_over_after_the_server_stayed_healthy():
    backoff = Backoff(RestartPolicy(initial_delay=1, max_delay=30, reset_after=60))
    backoff.on_exit(0), backoff.on_exit(1)
    backoff.on_healthy_for(59)
    assert backoff.on_exit(70) == 4
    backoff.on_healthy_for(60)
    assert backoff.on_exit(140) == 1
    assert backoff.restarts == 4


def test_exit_status_names_the_signal():
    assert describe_exit(-9) == "-9 (SIGKILL)"
    assert describe_exit(-15) == "-15 (SIGTERM)"
    assert describe_exit(3) == "3"
    assert describe_exit(0) == "0"


# --- the supervisor with real child processes --------------------------------------------------------------


def test_a_killed_server_is_restarted_and_the_assistant_announced_again(tmp_path, supervised):
    console = Console()
    server = child(tmp_path, str(HEALTH_PORT), "0")
    running = supervised(Supervisor([server], RestartPolicy(initial_delay=0.2), banner="RUNNING",
                                    poll_interval=0.05, out=console))
    console.wait_for("RUNNING")
    first = server.pid
    os.kill(first, signal.SIGKILL)
    restart = console.wait_for("restarting")
    assert restart == ["test server exited with status -9 (SIGKILL); restarting in 0.2 s (restart 1)"]
    console.wait_for("The assistant is running again.")
    assert server.pid != first and server.healthy()
    assert console.lines.count("RUNNING") == 1
    assert "restarted by the supervisor after exit status -9 (SIGKILL)" in (tmp_path / "server.log").read_text()
    running.stop.set()
    assert running.finish() == 0
    assert not server.running()


def test_repeated_exits_make_the_supervisor_give_up_pointing_at_the_log(tmp_path, supervised):
    console = Console()
    server = child(tmp_path, str(HEALTH_PORT), "0.5")     # healthy, then exits with status 3 after 0.5 s
    policy = RestartPolicy(initial_delay=0.05, max_exits=3, window=60)
    running = supervised(Supervisor([server], policy, poll_interval=0.05, out=console))
    assert running.finish(timeout=60) == 1
    restarts = [line for line in console.lines if "restarting" in line]
    assert restarts == ["test server exited with status 3; restarting in 0.05 s (restart 1)",
                        "test server exited with status 3; restarting in 0.1 s (restart 2)"]
    assert console.lines[-1] == ("The test server exited 3 times within 60 s (last status 3); giving up. "
                                 f"See its log: {tmp_path / 'server.log'}")


def test_a_server_that_dies_during_start_up_is_not_restarted(tmp_path, supervised):
    console = Console()
    server = child(tmp_path, script="import sys; print('no model'); sys.exit(3)")
    running = supervised(Supervisor([server], RestartPolicy(initial_delay=0.05), banner="RUNNING",
                                    poll_interval=0.05, out=console))
    assert running.finish() == 1
    log = tmp_path / "server.log"
    assert console.lines == [f"The test server exited during start-up with status 3; see its log: {log}"]
    assert "no model" in (tmp_path / "server.log").read_text()


def test_a_server_that_never_becomes_healthy_is_stopped_and_reported(tmp_path, supervised):
    console = Console()
    server = child(tmp_path, script="import time; time.sleep(120)")
    running = supervised(Supervisor([server], RestartPolicy(start_timeout=0.5), banner="RUNNING",
                                    poll_interval=0.05, out=console))
    assert running.finish() == 1
    log = tmp_path / "server.log"
    assert console.lines == [f"The test server was not ready 0.5 s after its start; see its log: {log}"]
    assert not server.running()


def test_a_process_answering_on_the_port_is_not_our_healthy_server(tmp_path):
    stranger = child(tmp_path, str(HEALTH_PORT), "0")
    stranger.start()
    ours = child(tmp_path, script="import sys; sys.exit(0)")
    try:
        wait_until(stranger.healthy, 30, "the other server answers")
        ours.start()
        ours.process.wait(timeout=30)
        assert not ours.healthy()
    finally:
        stranger.kill()
        stranger.wait_stopped()
        stranger.close()
        ours.close()


def test_stopping_ends_the_whole_process_group(tmp_path, supervised):
    console = Console()
    pid_file = tmp_path / "grandchild.pid"
    server = child(tmp_path, str(HEALTH_PORT), "0", str(pid_file))
    running = supervised(Supervisor([server], banner="RUNNING", poll_interval=0.05, out=console))
    console.wait_for("RUNNING")
    grandchild = int(pid_file.read_text())
    assert not gone(grandchild)
    running.stop.set()
    assert running.finish() == 0
    assert console.lines[-1] == "Stopping the servers..."
    wait_until(lambda: gone(grandchild), 10, "the grandchild was stopped with its group")


# --- the port check ----------------------------------------------------------------------------------------


@pytest.fixture()
def taken() -> Iterator[int]:
    """TAKEN_PORT with something listening on it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", TAKEN_PORT))
        listener.listen()
        yield TAKEN_PORT


def test_a_listening_port_is_in_use_and_a_free_one_is_not(taken):
    assert port_in_use("127.0.0.1", taken)
    assert not port_in_use("127.0.0.1", FREE_PORT)
    check_ports_free("127.0.0.1", {"Rasa": FREE_PORT})


def test_the_error_names_the_taken_port_and_the_likely_reason(taken):
    with pytest.raises(PortInUseError) as error:
        check_ports_free("127.0.0.1", {"Rasa": FREE_PORT, "action": taken})
    assert error.value.taken == {"action": taken}
    assert str(error.value) == (f"action port {taken} on 127.0.0.1 is already in use: another assistant may "
                                "still be running; stop it or set RASA_PORT / ACTION_PORT")


def test_a_port_is_free_again_once_its_listener_closed():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", FREE_PORT))
        listener.listen()
        assert port_in_use("127.0.0.1", FREE_PORT)
    assert not port_in_use("127.0.0.1", FREE_PORT)


def test_assistant_servers_refuse_to_start_on_a_taken_port(tmp_path, taken):
    model = tmp_path / "model.tar.gz"
    model.write_bytes(b"")
    config = ServerConfig(model=model, rasa_port=taken, action_port=FREE_PORT, log_dir=tmp_path / "logs",
                          tracker_db=tmp_path / "tracker.db", cors="*")
    servers = AssistantServers(config)
    with pytest.raises(PortInUseError, match=f"Rasa port {taken} on 127.0.0.1 is already in use"):
        servers.start(timeout=5)
    assert servers.pids == [] and not (tmp_path / "logs").exists()


def test_serve_exits_with_status_2_and_touches_nothing_when_a_port_is_taken(tmp_path, taken, capsys):
    status = serve.main(["--port", str(FREE_PORT), "--action-port", str(taken), "--var-dir", str(tmp_path / "var")])
    assert status == serve.EXIT_PORT_TAKEN == 2
    captured = capsys.readouterr()
    assert captured.err == (f"Cannot start: action port {taken} on 127.0.0.1 is already in use: another "
                            "assistant may still be running; stop it or set RASA_PORT / ACTION_PORT.\n")
    assert "running" not in captured.out
    assert not (tmp_path / "var").exists()
