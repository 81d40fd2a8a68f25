"""``python -m bot.chat``: chat with the running assistant from a terminal (``make shell``).

Buttons are listed with numbers; type the number to press one. Ctrl-D or /keluar quits.
"""
from __future__ import annotations

import argparse
import sys
import uuid
from typing import Dict, List

import requests

from bot.evaluate import AssistantClient


def render(replies: List[dict]) -> List[Dict[str, str]]:
    """Print the bot's replies; return the buttons of this turn in display order."""
    buttons: List[Dict[str, str]] = []
    for reply in replies:
        if reply.get("text"):
            print(f"bot> {reply['text']}")
        for button in reply.get("buttons") or []:
            buttons.append(button)
            print(f"     [{len(buttons)}] {button.get('title')}")
    return buttons


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.chat", description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:5005")
    parser.add_argument("--sender", default=f"terminal-{uuid.uuid4().hex[:8]}")
    args = parser.parse_args()
    client = AssistantClient(args.url, token="")
    print("Ketik pesan Anda (Ctrl-D atau /keluar untuk berhenti).")
    buttons: List[Dict[str, str]] = []
    for line in sys.stdin if not sys.stdin.isatty() else iter(lambda: input("anda> "), None):
        text = line.rstrip("\n")
        if text.strip() == "/keluar":
            break
        if text.strip().isdigit() and 0 < int(text) <= len(buttons):
            text = buttons[int(text) - 1]["payload"]
        try:
            buttons = render(client.send(args.sender, text))
        except requests.ConnectionError:
            print(f"Tidak bisa terhubung ke {args.url}. Jalankan dulu `make run` di terminal lain.", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except (EOFError, KeyboardInterrupt):
        print()
