"""Keep the assistant's servers running: restart a server that exits, with backoff, and give up after
repeated failures.

Used by ``python -m bot.serve`` (``make run``). Each server is watched on its own, so when the action
server dies only the action server is restarted (Rasa keeps running and reaches the new one on the next
request). The "running" banner is printed only once every server this supervisor started is healthy.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Deque, List, Optional, Sequence

from bot import retrying
from bot.child_server import ChildServer, describe_exit, stop_all


def say(line: str) -> None:
    """Print one console line at once (``make run`` output is often piped)."""
    print(line, flush=True)


@dataclass(frozen=True)
class RestartPolicy:
    """When and how often a server that exited is started again."""

    initial_delay: float = 1.0      # seconds before the first restart
    max_delay: float = 30.0         # the delay doubles after each restart up to this
    max_exits: int = 5              # this many exits ...
    window: float = 120.0           # ... within this many seconds: give up
    reset_after: float = 60.0       # healthy this long: the next restart waits initial_delay again
    start_timeout: float = 300.0    # a (re)started server not healthy after this long is killed (restarted)


class Backoff:
    """Restart bookkeeping of one server: exits in the window, the next delay, restarts so far."""

    def __init__(self, policy: RestartPolicy) -> None:
        self.policy = policy
        self.exits: Deque[float] = deque()
        self.waits = retrying.Backoff(first=policy.initial_delay, cap=policy.max_delay).schedule()
        self.restarts = 0

    def on_exit(self, now: float) -> Optional[float]:
        """Record an exit at ``now`` (monotonic seconds). The delay before restarting, or None to give up
        because the server exited ``max_exits`` times within ``window`` seconds."""
        self.exits.append(now)
        while self.exits and self.exits[0] <= now - self.policy.window:
            self.exits.popleft()
        if len(self.exits) >= self.policy.max_exits:
            return None
        self.restarts += 1
        return self.waits.next()

    def on_healthy_for(self, seconds: float) -> None:
        """The server has been healthy for ``seconds``: after ``reset_after`` the backoff starts over."""
        if seconds >= self.policy.reset_after:
            self.waits.reset()


STARTING, HEALTHY, WAITING = "starting", "healthy", "waiting to restart"


@dataclass
class Watch:
    """What the supervisor knows about one server."""

    server: ChildServer
    backoff: Backoff
    state: str = STARTING
    since: float = 0.0                 # when the current state began
    restart_at: float = 0.0            # when WAITING ends
    ever_healthy: bool = False
    last_exit: str = ""


class GiveUp(Exception):
    """A server cannot be kept running; the message says why and where its log is."""


@dataclass
class Supervisor:
    """Start the servers, restart each one that exits, print when the assistant is (again) running."""

    servers: Sequence[ChildServer]
    policy: RestartPolicy = field(default_factory=RestartPolicy)
    banner: str = "The assistant is running."
    again: str = "The assistant is running again."
    poll_interval: float = 0.5
    out: Callable[[str], None] = say

    def __post_init__(self) -> None:
        self.watches: List[Watch] = [Watch(server, Backoff(self.policy)) for server in self.servers]
        self.announced = False         # the banner was printed once
        self.all_healthy = False

    def run(self, stop: threading.Event) -> int:
        """Supervise until ``stop`` is set (0) or a server cannot be kept running (1); stops every server."""
        try:
            now = time.monotonic()
            for watch in self.watches:
                watch.server.start()
                watch.state, watch.since = STARTING, now
            while not stop.is_set():
                self.step(time.monotonic())
                stop.wait(self.poll_interval)
            self.out("Stopping the servers...")
            return 0
        except GiveUp as reason:
            self.out(str(reason))
            return 1
        finally:
            stop_all(list(self.servers))

    def step(self, now: float) -> None:
        """Look at every server once: note exits, restart those whose delay is over, note who is healthy."""
        for watch in self.watches:
            self._check(watch, now)
        healthy = all(watch.state == HEALTHY for watch in self.watches)
        if healthy and not self.all_healthy:
            self.out(self.again if self.announced else self.banner)
            self.announced = True
        self.all_healthy = healthy

    def _check(self, watch: Watch, now: float) -> None:
        server = watch.server
        if watch.state == WAITING:
            if now >= watch.restart_at:
                server.start(note=f"restarted by the supervisor after exit status {watch.last_exit}")
                watch.state, watch.since = STARTING, now
            return
        status = server.exit_status()
        if status is not None:
            self._on_exit(watch, status, now)
        elif watch.state == STARTING:
            self._check_starting(watch, now)
        else:
            watch.backoff.on_healthy_for(now - watch.since)

    def _check_starting(self, watch: Watch, now: float) -> None:
        server = watch.server
        if server.healthy():
            watch.state, watch.since, watch.ever_healthy = HEALTHY, now, True
        elif now - watch.since > self.policy.start_timeout:
            if not watch.ever_healthy:
                raise GiveUp(f"The {server.name} was not ready {self.policy.start_timeout:g} s after its start; "
                             f"see its log: {server.spec.log_path}")
            self.out(f"{server.name} not healthy {self.policy.start_timeout:g} s after its restart; killing it")
            server.kill()

    def _on_exit(self, watch: Watch, status: int, now: float) -> None:
        server, watch.last_exit = watch.server, describe_exit(status)
        if not watch.ever_healthy:
            raise GiveUp(f"The {server.name} exited during start-up with status {watch.last_exit}; "
                         f"see its log: {server.spec.log_path}")
        delay = watch.backoff.on_exit(now)
        if delay is None:
            raise GiveUp(f"The {server.name} exited {self.policy.max_exits} times within {self.policy.window:g} s "
                         f"(last status {watch.last_exit}); giving up. See its log: {server.spec.log_path}")
        self.out(f"{server.name} exited with status {watch.last_exit}; restarting in {delay:g} s "
                 f"(restart {watch.backoff.restarts})")
        watch.state, watch.restart_at = WAITING, now + delay
