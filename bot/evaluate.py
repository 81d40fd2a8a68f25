"""``python -m bot.evaluate FILE.tsv ...``: measure the assistant on evaluation files.

Each line is sent as the first message of a fresh conversation through the REST channel; the
tracker (HTTP API) tells which intent was recognised and which article (slot ``kb_article``) was
answered. Prints, per file, accuracy overall and per label, how often a clarification offered the
right article, and every miss. ``--start`` runs its own assistant on spare loopback ports (temporary
stores), so ``make eval`` needs nothing running; without it the assistant at ``--url`` is measured.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import requests

from bot.evalset import EvalLine, load_eval_lines
from bot.serve import TOKEN_FILE
from nlu.payloads import parse_own_payload

_ANY = re.compile(r"[a-z0-9-]{1,80}")


@dataclass(frozen=True)
class Outcome:
    """What the assistant did with one evaluation line."""

    line: EvalLine
    intent: Optional[str]
    kb_article: Optional[str]
    offered: Tuple[str, ...] = ()   # articles offered as "did you mean" buttons instead of an answer

    @property
    def passed(self) -> bool:
        return self.line.passes(self.kb_article, self.intent)

    @property
    def clarified(self) -> bool:
        """The assistant asked which article was meant (no article answered)."""
        return self.kb_article is None and bool(self.offered)

    @property
    def clarified_right(self) -> bool:
        """A clarification that offered an accepted article."""
        return self.clarified and any(a in self.line.kb_ids() for a in self.offered)


class AssistantClient:
    """Talks to a running assistant over REST and the tracker API."""

    def __init__(self, base_url: str, token: str, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.session = requests.Session()

    def send(self, sender: str, text: str, metadata: Optional[dict] = None) -> list:
        """Send one message (with optional channel metadata); return the bot's replies."""
        body: Dict[str, Any] = {"sender": sender, "message": text, **({"metadata": metadata} if metadata else {})}
        reply = self.session.post(f"{self.base_url}/webhooks/rest/webhook", json=body, timeout=self.timeout)
        reply.raise_for_status()
        return reply.json()

    def tracker(self, sender: str) -> dict:
        """The conversation tracker of ``sender``."""
        reply = self.session.get(f"{self.base_url}/conversations/{sender}/tracker",
                                 params={"token": self.token}, timeout=self.timeout)
        reply.raise_for_status()
        return reply.json()


def offered_articles(replies: list) -> Tuple[str, ...]:
    """Article ids of the ``/choose_article`` buttons in the bot's replies."""
    offered = []
    for reply in replies:
        for button in reply.get("buttons") or []:
            parsed = parse_own_payload(str(button.get("payload", "")), {"choose_article": {"article_id": _ANY}})
            if parsed and parsed[1].get("article_id"):
                offered.append(str(parsed[1]["article_id"]))
    return tuple(offered)


def run_line(client: AssistantClient, line: EvalLine) -> Outcome:
    """Send one line as a new conversation and read back intent, article and offered articles."""
    sender = f"eval-{uuid.uuid4().hex[:12]}"
    replies = client.send(sender, line.text)
    tracker = client.tracker(sender)
    intent = (tracker.get("latest_message") or {}).get("intent", {}).get("name")
    return Outcome(line, intent, (tracker.get("slots") or {}).get("kb_article"), offered_articles(replies))


def summarise(outcomes: List[Outcome]) -> dict:
    """Accuracy overall and per label (a line counts towards each label it accepts)."""
    per_label: Dict[str, List[bool]] = defaultdict(list)
    for outcome in outcomes:
        for label in outcome.line.accept:
            per_label[label].append(outcome.passed)
    total = len(outcomes)
    clarified = [o for o in outcomes if o.clarified]
    return {
        "lines": total,
        "accuracy": round(sum(o.passed for o in outcomes) / total, 4) if total else 0.0,
        "clarified": len(clarified),
        "clarified_right": sum(o.clarified_right for o in clarified),
        "per_label": {label: {"n": len(v), "accuracy": round(sum(v) / len(v), 3)}
                      for label, v in sorted(per_label.items())},
        "misses": [{"line": o.line.line_no, "text": o.line.text, "accept": "|".join(o.line.accept),
                    "intent": o.intent, "kb_article": o.kb_article, "offered": list(o.offered)}
                   for o in outcomes if not o.passed],
    }


def evaluate(client: AssistantClient, lines: List[EvalLine], workers: int = 4) -> dict:
    """Run every line (a few at a time) and summarise."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        outcomes = list(pool.map(lambda line: run_line(client, line), lines))
    return summarise(outcomes)


HELD_OUT_STEMS = ("test",)   # tests/data/test.tsv: nothing is tuned on it, so its misses are not shown


def is_held_out(path: Path) -> bool:
    """Whether ``path`` is the held-out split (its misses are withheld unless asked for explicitly)."""
    return path.stem in HELD_OUT_STEMS


def withhold_misses(report: dict) -> dict:
    """The report with the misses' lines replaced by their count (accuracy and per-label figures stay)."""
    return {**report, "misses": len(report["misses"]), "misses_withheld": True}


def _print_report(name: str, report: dict) -> None:
    print(f"== {name}: accuracy {report['accuracy']:.3f} over {report['lines']} lines; clarification asked "
          f"{report['clarified']} times, with the right article among the offered {report['clarified_right']}")
    print("per label:")
    for label, stats in report["per_label"].items():
        print(f"  {label:42s} {stats['accuracy']:.2f}  (n={stats['n']})")
    if report.get("misses_withheld"):
        print(f"misses: {report['misses']} (held-out split: lines not shown; see tests/data/README.md)")
        return
    print(f"misses ({len(report['misses'])}):")
    for miss in report["misses"]:
        print(f"  line {miss['line']}: {miss['text']!r} accept={miss['accept']} "
              f"got intent={miss['intent']} kb_article={miss['kb_article']}"
              + (f" offered={','.join(miss['offered'])}" if miss["offered"] else ""))


@contextmanager
def started_assistant(rasa_port: int, action_port: int) -> Iterator[AssistantClient]:
    """Run the assistant (embedded profile, stores in a temporary folder, no channel credentials) while
    the block runs."""
    from bot.servers import AssistantServers, ServerConfig

    with tempfile.TemporaryDirectory(prefix="kcs-eval-") as work:
        folder = Path(work)
        config = ServerConfig(rasa_port=rasa_port, action_port=action_port, tracker_db=folder / "tracker.db",
                              log_dir=folder, tickets_db_url=f"sqlite:///{folder / 'tickets.db'}")
        config.extra_env.update({"TELEGRAM_BOT_TOKEN": "", "WHATSAPP_ACCESS_TOKEN": "", "WHATSAPP_APP_SECRET": "",
                                 "CHANNEL_STATE_DB": str(folder / "channels.db")})
        running = AssistantServers(config).start(timeout=300)
        try:
            yield AssistantClient(config.rasa_url, config.api_token)
        finally:
            running.stop()


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.evaluate", description=__doc__)
    parser.add_argument("files", type=Path, nargs="+")
    parser.add_argument("--url", default="http://127.0.0.1:5005")
    parser.add_argument("--token", help=f"Rasa API token (default: read {TOKEN_FILE})")
    parser.add_argument("--start", action="store_true", help="start a private assistant for the run")
    parser.add_argument("--ports", default="5105,5155", help="Rasa and action ports for --start")
    parser.add_argument("--json", action="store_true", help="print the reports as JSON")
    parser.add_argument("--show-held-out-misses", action="store_true",
                        help="also list test.tsv's misses (only to audit its labels; never to tune on them)")
    parser.add_argument("--min-accuracy", type=float, default=0.0,
                        help="exit 1 when the last file's accuracy is below this")
    args = parser.parse_args(argv)
    if args.start:
        rasa_port, action_port = (int(p) for p in args.ports.split(","))
        with started_assistant(rasa_port, action_port) as client:
            reports = {str(f): evaluate(client, load_eval_lines(f)) for f in args.files}
    else:
        token = args.token or (TOKEN_FILE.read_text(encoding="utf-8").strip() if TOKEN_FILE.exists() else "")
        client = AssistantClient(args.url, token)
        reports = {str(f): evaluate(client, load_eval_lines(f)) for f in args.files}
    if not args.show_held_out_misses:
        reports = {name: withhold_misses(report) if is_held_out(Path(name)) else report
                   for name, report in reports.items()}
    if args.json:
        print(json.dumps(reports, ensure_ascii=False, indent=2))
    else:
        for name, report in reports.items():
            _print_report(name, report)
    return 0 if list(reports.values())[-1]["accuracy"] >= args.min_accuracy else 1


if __name__ == "__main__":
    sys.exit(main())
