"""``python -m bot.serve``: run the assistant (action server + Rasa with REST and socket.io) until Ctrl-C.

Both servers are supervised: one that exits is restarted with backoff; after repeated failures the
command exits with status 1. When a port is taken it exits with status 2 without starting anything.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path
from typing import List, Optional

from bot.ports import PortInUseError, check_ports_free
from bot.privacy.files import write_private_text
from bot.servers import ROOT, AssistantServers, ServerConfig
from bot.supervisor import Supervisor

VAR_DIR = ROOT / "var"
TOKEN_FILE = VAR_DIR / "api_token"   # read by ``make eval`` (bot.evaluate)
EXIT_PORT_TAKEN = 2


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot.serve", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default=os.environ.get("RASA_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("RASA_PORT", "5005")))
    parser.add_argument("--action-port", type=int, default=int(os.environ.get("ACTION_PORT", "5055")))
    parser.add_argument("--var-dir", type=Path, default=os.environ.get("ASSISTANT_VAR_DIR") or None,
                        help="logs, API token and SQLite tracker store of this run (ASSISTANT_VAR_DIR; "
                             "default var/)")
    return parser.parse_args(argv)


def build_config(args: argparse.Namespace) -> ServerConfig:
    """The servers' configuration; ``--var-dir`` moves the logs and the tracker store out of ``var/``."""
    moved = {"log_dir": args.var_dir, "tracker_db": args.var_dir / "tracker.db"} if args.var_dir else {}
    config = ServerConfig(host=args.host, rasa_port=args.port, action_port=args.action_port, **moved)
    if os.environ.get("RASA_API_TOKEN"):
        config.api_token = os.environ["RASA_API_TOKEN"]
    return config


def banner(config: ServerConfig) -> str:
    """What is printed once both servers are healthy."""
    base = config.rasa_url
    return f"""
The assistant is running.
  REST:      POST {base}/webhooks/rest/webhook   body {{"sender": "budi", "message": "cara deposit rupiah"}}
  Socket.IO: {base}  (path /socket.io, events user_uttered / bot_uttered)
  Web chat:  {base}/webhooks/webchat/   (demo page; embed on a site with
             <script src="{base}/webhooks/webchat/widget.js" defer></script>, its origin in WEBCHAT_ORIGINS)
  Terminal:  make shell   (in another terminal)
  Logs:      {config.log_dir}/rasa-{config.rasa_port}.log, actions-{config.rasa_port}.log
Servers that exit are restarted. Press Ctrl-C to stop."""


def write_token(config: ServerConfig) -> None:
    """Leave the API token where ``make eval`` finds it (readable by this user only)."""
    write_private_text(config.log_dir / TOKEN_FILE.name, config.api_token)   # 0600 before a byte is written


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    try:   # before anything is loaded or written: a running assistant must not be disturbed
        check_ports_free(args.host, {"Rasa": args.port, "action": args.action_port})
        config = build_config(args)
        servers = AssistantServers(config).prepare()
    except PortInUseError as error:
        print(f"Cannot start: {error}.", file=sys.stderr, flush=True)
        return EXIT_PORT_TAKEN
    except FileNotFoundError as error:
        print(f"Cannot start: {error}.", file=sys.stderr, flush=True)
        return 1
    write_token(config)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    print("Starting the action server and the Rasa server (about 30 s)...", flush=True)
    status = Supervisor(servers, banner=banner(config)).run(stop)
    print("Stopped." if status == 0 else f"The assistant stopped (logs in {config.log_dir}).",
          file=sys.stdout if status == 0 else sys.stderr, flush=True)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
