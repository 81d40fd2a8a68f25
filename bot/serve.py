"""``python -m bot.serve``: run the assistant (action server + Rasa with REST and socket.io) until Ctrl-C."""
from __future__ import annotations

import argparse
import os
import signal
import time

from bot.servers import ROOT, AssistantServers, ServerConfig

TOKEN_FILE = ROOT / "var" / "api_token"


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.serve", description=__doc__)
    parser.add_argument("--host", default=os.environ.get("RASA_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("RASA_PORT", "5005")))
    parser.add_argument("--action-port", type=int, default=int(os.environ.get("ACTION_PORT", "5055")))
    args = parser.parse_args()
    config = ServerConfig(host=args.host, rasa_port=args.port, action_port=args.action_port)
    if os.environ.get("RASA_API_TOKEN"):
        config.api_token = os.environ["RASA_API_TOKEN"]
    print("Starting the action server and the Rasa server (about 30 s)...", flush=True)
    servers = AssistantServers(config).start()
    TOKEN_FILE.write_text(config.api_token, encoding="utf-8")
    TOKEN_FILE.chmod(0o600)
    base = config.rasa_url
    print(f"""
The assistant is running.
  REST:      POST {base}/webhooks/rest/webhook   body {{"sender": "budi", "message": "cara deposit rupiah"}}
  Socket.IO: {base}  (path /socket.io, events user_uttered / bot_uttered)
  Web chat:  {base}/webhooks/webchat/   (demo page; embed on a site with
             <script src="{base}/webhooks/webchat/widget.js" defer></script>, its origin in WEBCHAT_ORIGINS)
  Terminal:  make shell   (in another terminal)
  Logs:      {config.log_dir}/rasa-{config.rasa_port}.log, actions-{config.rasa_port}.log
Press Ctrl-C to stop.""", flush=True)
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    try:
        while not stop["now"]:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        servers.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
