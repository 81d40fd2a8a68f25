"""Read evaluation TSV files: ``accept<TAB>text`` with ``kb:<id>``/``intent:<name>`` labels."""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Tuple


@dataclass(frozen=True)
class EvalLine:
    """One test message and the labels that count as a correct answer."""

    line_no: int
    accept: Tuple[str, ...]
    text: str

    def kb_ids(self) -> Tuple[str, ...]:
        """Accepted knowledge-base article ids."""
        return tuple(a[3:] for a in self.accept if a.startswith("kb:"))

    def intents(self) -> Tuple[str, ...]:
        """Accepted intent names."""
        return tuple(a[7:] for a in self.accept if a.startswith("intent:"))

    def passes(self, kb_article: Optional[str], intent: Optional[str]) -> bool:
        """True when the answered article or the recognised intent is accepted."""
        return (kb_article is not None and kb_article in self.kb_ids()) or (
            intent is not None and intent in self.intents()
        )


def load_eval_lines(path: Path) -> List[EvalLine]:
    """Parse an evaluation TSV, skipping the header, blank lines and ``#`` comments."""
    lines: List[EvalLine] = []
    with Path(path).open(encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE), start=1):
            if not row or not any(cell.strip() for cell in row) or row[0].lstrip().startswith("#"):
                continue
            if row[0] == "accept":
                continue
            if len(row) < 2:
                raise ValueError(f"{path}:{number}: expected 'accept<TAB>text'")
            accept = tuple(label.strip() for label in row[0].split("|") if label.strip())
            if not accept:
                raise ValueError(f"{path}:{number}: empty accept column")
            bad = [a for a in accept if not a.startswith(("kb:", "intent:"))]
            if bad:
                raise ValueError(f"{path}:{number}: labels must start with kb: or intent:, got {bad}")
            lines.append(EvalLine(number, accept, "\t".join(row[1:]).strip()))
    return lines
