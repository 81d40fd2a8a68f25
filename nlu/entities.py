"""Rule-based extraction of crypto-support entities from raw customer text.

Entities: ``coin``, ``network``, ``bank``, ``amount``, ``txid``, ``wallet_address``.
Values are canonical (``USDT``, ``TRC20``, ``BCA``, ``1500000 IDR``); spans index the raw text.
Checksums are not verified here (see the validators of the problem-report flow).
"""
from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any, Dict, Iterable, List, Mapping, Pattern, Tuple

from nlu.amounts import find_amounts
from nlu.vocabulary import is_ambiguous_lowercase, vocabulary

_B58 = "1-9A-HJ-NP-Za-km-z"
WALLET_PATTERNS: Tuple[Tuple[str, Pattern[str]], ...] = (
    ("evm", re.compile(r"(?<![0-9A-Za-z])0x[0-9a-fA-F]{40}(?![0-9A-Za-z])")),
    ("tron", re.compile(rf"(?<![0-9A-Za-z])T[{_B58}]{{33}}(?![0-9A-Za-z])")),
    ("btc_bech32", re.compile(r"(?<![0-9A-Za-z])(?:bc1|BC1)[02-9ac-hj-np-zAC-HJ-NP-Z]{8,87}(?![0-9A-Za-z])")),
    ("btc_base58", re.compile(rf"(?<![0-9A-Za-z])[13][{_B58}]{{25,34}}(?![0-9A-Za-z])")),
)
REMEMBERED_TEXT_CHARS = 4000   # extract_entities remembers texts up to this long (the cache stays small)
TXID_PATTERN = re.compile(r"(?<![0-9A-Za-z])(?:0x)?[0-9a-fA-F]{64}(?![0-9A-Za-z])")
# The ``extractor`` the pipeline's CryptoEntityExtractor writes on these entities (its class name), so the
# action server can take them from the parse data instead of extracting them a second time.
RULE_EXTRACTOR = "CryptoEntityExtractor"



@dataclass(frozen=True)
class Entity:
    """One extracted entity with its span in the original text."""

    entity: str
    value: str
    start: int
    end: int

    def as_dict(self) -> Dict[str, object]:
        """Dictionary in the shape Rasa expects for entities."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Entity":
        """The entity of one of :meth:`as_dict`'s dictionaries (other keys, e.g. ``extractor``, ignored)."""
        return cls(str(data["entity"]), str(data["value"]), int(data["start"]), int(data["end"]))


def _alias_pattern(aliases: List[str]) -> Pattern[str]:
    ordered = sorted(aliases, key=len, reverse=True)
    words = "|".join(re.escape(alias).replace(r"\ ", r"[\s-]?") for alias in ordered)
    # The Indonesian clitic "-nya" may be attached: "USDTnya belum masuk".
    return re.compile(rf"(?<![0-9A-Za-z])(?:{words})(?=(?:nya)?(?![0-9A-Za-z]))", re.IGNORECASE)


def _vocabulary_entities(text: str, kind: str, table: Dict[str, str]) -> List[Entity]:
    found = []
    for match in _alias_pattern(list(table)).finditer(text):
        surface = match.group(0)
        key = re.sub(r"[\s-]+", " ", surface.lower())
        key = key if key in table else surface.lower()
        if is_ambiguous_lowercase(surface):
            continue
        canonical = table.get(key) or table.get(key.replace(" ", "-")) or table.get(key.replace(" ", ""))
        if canonical:
            found.append(Entity(kind, canonical, match.start(), match.end()))
    return found


class SpanSet:
    """Disjoint character spans with logarithmic overlap checks (long messages stay fast)."""

    def __init__(self, spans: Iterable[Tuple[int, int]] = ()) -> None:
        self._starts: List[int] = []
        self._ends: List[int] = []
        for span in spans:
            self.add(span)

    def overlaps(self, span: Tuple[int, int]) -> bool:
        """True when ``span`` shares a character with a stored span."""
        index = bisect_left(self._starts, span[1])   # stored spans starting before ``span`` ends
        return index > 0 and self._ends[index - 1] > span[0]

    def add(self, span: Tuple[int, int]) -> None:
        """Store a span that overlaps none of the stored ones."""
        index = bisect_left(self._starts, span[0])
        self._starts.insert(index, span[0])
        self._ends.insert(index, span[1])


def extract_entities(text: str) -> List[Entity]:
    """Return all entities in ``text`` ordered by position.

    Addresses and TXIDs are matched first; other entities never overlap them. A coin named as the
    unit of an amount (``0,05 BTC``) yields both an ``amount`` and a ``coin`` entity. The last texts'
    entities are remembered: a message's personal-data masking at entry and the NLU pipeline then read
    the same text once.
    """
    if not text:
        return []
    return list(_remembered_entities(text) if len(text) <= REMEMBERED_TEXT_CHARS else _entities_of(text))


@lru_cache(maxsize=256)
def _remembered_entities(text: str) -> Tuple[Entity, ...]:
    return _entities_of(text)


def _entities_of(text: str) -> Tuple[Entity, ...]:
    """The entities of ``text`` (see :func:`extract_entities`), immutable so they can be shared."""
    vocab = vocabulary()
    entities: List[Entity] = []
    long_spans = SpanSet()
    for match in TXID_PATTERN.finditer(text):
        entities.append(Entity("txid", match.group(0), match.start(), match.end()))
        long_spans.add(match.span())
    for _, pattern in WALLET_PATTERNS:
        for match in pattern.finditer(text):
            if not long_spans.overlaps(match.span()):
                entities.append(Entity("wallet_address", match.group(0), match.start(), match.end()))
                long_spans.add(match.span())
    for amount in find_amounts(text):
        if not long_spans.overlaps((amount.start, amount.end)):
            entities.append(Entity("amount", amount.canonical(), amount.start, amount.end))
    networks = _vocabulary_entities(text, "network", vocab.networks)
    network_spans = SpanSet((e.start, e.end) for e in networks)
    for entity in networks:
        if not long_spans.overlaps((entity.start, entity.end)):
            entities.append(entity)
    for kind, table in (("coin", vocab.coins), ("bank", vocab.banks)):
        for entity in _vocabulary_entities(text, kind, table):
            span = (entity.start, entity.end)
            if not long_spans.overlaps(span) and not network_spans.overlaps(span):
                entities.append(entity)
    return tuple(sorted(entities, key=lambda e: (e.start, e.entity)))
