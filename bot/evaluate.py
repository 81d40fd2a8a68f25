"""``python -m bot.evaluate FILE.tsv``: measure the running assistant on an evaluation file.

Each line is sent as the first message of a fresh conversation through the REST channel; the
tracker (HTTP API) tells which intent was recognised and which article (slot ``kb_article``) was
answered. Prints accuracy overall and per label, and every miss.
"""
from __future__ import annotations

import argparse
import json
import sys
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

import requests

from bot.evalset import EvalLine, load_eval_lines
from bot.serve import TOKEN_FILE


@dataclass(frozen=True)
class Outcome:
    """What the assistant did with one evaluation line."""

    line: EvalLine
    intent: Optional[str]
    kb_article: Optional[str]

    @property
    def passed(self) -> bool:
        return self.line.passes(self.kb_article, self.intent)


class AssistantClient:
    """Talks to a running assistant over REST and the tracker API."""

    def __init__(self, base_url: str, token: str, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.session = requests.Session()

    def send(self, sender: str, text: str, metadata: Optional[dict] = None) -> list:
        """Send one message (with optional channel metadata); return the bot's replies."""
        body = {"sender": sender, "message": text, **({"metadata": metadata} if metadata else {})}
        reply = self.session.post(f"{self.base_url}/webhooks/rest/webhook", json=body, timeout=self.timeout)
        reply.raise_for_status()
        return reply.json()

    def tracker(self, sender: str) -> dict:
        """The conversation tracker of ``sender``."""
        reply = self.session.get(f"{self.base_url}/conversations/{sender}/tracker",
                                 params={"token": self.token}, timeout=self.timeout)
        reply.raise_for_status()
        return reply.json()


def run_line(client: AssistantClient, line: EvalLine) -> Outcome:
    """Send one line as a new conversation and read back intent and article."""
    sender = f"eval-{uuid.uuid4().hex[:12]}"
    client.send(sender, line.text)
    tracker = client.tracker(sender)
    intent = (tracker.get("latest_message") or {}).get("intent", {}).get("name")
    return Outcome(line, intent, (tracker.get("slots") or {}).get("kb_article"))


def summarise(outcomes: List[Outcome]) -> dict:
    """Accuracy overall and per label (a line counts towards each label it accepts)."""
    per_label: Dict[str, List[bool]] = defaultdict(list)
    for outcome in outcomes:
        for label in outcome.line.accept:
            per_label[label].append(outcome.passed)
    total = len(outcomes)
    return {
        "lines": total,
        "accuracy": round(sum(o.passed for o in outcomes) / total, 4) if total else 0.0,
        "per_label": {label: {"n": len(v), "accuracy": round(sum(v) / len(v), 3)} for label, v in sorted(per_label.items())},
        "misses": [{"line": o.line.line_no, "text": o.line.text, "accept": "|".join(o.line.accept),
                    "intent": o.intent, "kb_article": o.kb_article} for o in outcomes if not o.passed],
    }


def evaluate(client: AssistantClient, lines: List[EvalLine], workers: int = 4) -> dict:
    """Run every line (a few at a time) and summarise."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        outcomes = list(pool.map(lambda line: run_line(client, line), lines))
    return summarise(outcomes)


def _print_report(report: dict) -> None:
    print(f"accuracy: {report['accuracy']:.3f} over {report['lines']} lines")
    print("per label:")
    for label, stats in report["per_label"].items():
        print(f"  {label:42s} {stats['accuracy']:.2f}  (n={stats['n']})")
    print(f"misses ({len(report['misses'])}):")
    for miss in report["misses"]:
        print(f"  line {miss['line']}: {miss['text']!r} accept={miss['accept']} "
              f"got intent={miss['intent']} kb_article={miss['kb_article']}")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.evaluate", description=__doc__)
    parser.add_argument("file", type=Path)
    parser.add_argument("--url", default="http://127.0.0.1:5005")
    parser.add_argument("--token", help=f"Rasa API token (default: read {TOKEN_FILE})")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--min-accuracy", type=float, default=0.0, help="exit 1 below this accuracy")
    args = parser.parse_args(argv)
    token = args.token or (TOKEN_FILE.read_text(encoding="utf-8").strip() if TOKEN_FILE.exists() else "")
    report = evaluate(AssistantClient(args.url, token), load_eval_lines(args.file))
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        _print_report(report)
    return 0 if report["accuracy"] >= args.min_accuracy else 1


if __name__ == "__main__":
    sys.exit(main())
