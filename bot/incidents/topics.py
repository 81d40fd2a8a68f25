"""Topics incidents are about: a bank, a network or a coin, written ``kind:VALUE`` (``bank:BCA``).

Values are the canonical entity values of :mod:`nlu.entities` (``BCA``, ``TRC20``, ``USDT``), so a topic
found in a customer's message and one typed by an operator (``bca``, ``bank:bca``, ``trc-20``) are equal.
"""
from __future__ import annotations

from typing import Dict, Iterable, List, Mapping, Tuple

from nlu.entities import extract_entities
from nlu.vocabulary import vocabulary

TOPIC_KINDS = ("bank", "network", "coin")  # also the order an ambiguous operator word is looked up in
KIND_LABELS = {"bank": "bank", "network": "jaringan", "coin": "koin"}


def topic_key(kind: str, value: str) -> str:
    """``bank:BCA``."""
    return f"{kind}:{value}"


def split_topic(topic: str) -> Tuple[str, str]:
    """``("bank", "BCA")`` from ``bank:BCA``."""
    kind, _, value = topic.partition(":")
    return kind, value


def _tables() -> Dict[str, Dict[str, str]]:
    """Alias (lowercase) -> canonical value, per kind."""
    vocab = vocabulary()
    return {"bank": vocab.banks, "network": vocab.networks, "coin": vocab.coins}


def _alias_value(kind: str, word: str) -> str:
    """The canonical value of ``word`` as an alias of a ``kind`` (``bca`` -> ``BCA``), or ''."""
    return _tables()[kind].get(" ".join(word.lower().split()), "")


def _named_value(kind: str, word: str) -> str:
    """``word`` as a canonical value of a ``kind`` itself (``network:BTC``), or ''."""
    values = {value.lower(): value for value in _tables()[kind].values()}
    return values.get(" ".join(word.lower().split()), "")


def parse_topic(text: str) -> str:
    """An operator's topic (``bca``, ``BCA``, ``bank:bca``, ``network:trc-20``) as ``kind:VALUE``.

    Raises ``ValueError`` naming what is accepted when the word is not a known bank, network or coin.
    """
    kind, separator, word = text.strip().partition(":")
    kinds = [kind.strip().lower()] if separator else list(TOPIC_KINDS)
    word = word if separator else text
    if separator and kinds[0] not in TOPIC_KINDS:
        raise ValueError(f"jenis topik {kind!r} tidak dikenal; gunakan {', '.join(TOPIC_KINDS)}")
    for lookup in (_alias_value, _named_value):   # "btc" is the coin's alias before the network's name
        for candidate in kinds:
            value = lookup(candidate, word)
            if value:
                return topic_key(candidate, value)
    raise ValueError(f"{text.strip()!r} bukan nama bank, jaringan, atau koin yang dikenal "
                     f"(contoh: bca, bank:mandiri, network:trc20, coin:usdt)")


def topics_of_entities(entities: Iterable[Mapping[str, object]]) -> List[str]:
    """Topics among Rasa entities (``{"entity": "bank", "value": "BCA"}``), in order, without duplicates."""
    found: List[str] = []
    for entity in entities:
        kind, value = str(entity.get("entity") or ""), str(entity.get("value") or "")
        if kind in TOPIC_KINDS and value and topic_key(kind, value) not in found:
            found.append(topic_key(kind, value))
    return found


def topics_in_text(text: str) -> List[str]:
    """Topics named in free text (e.g. a ticket detail such as ``BCA ••••1234``)."""
    return topics_of_entities(entity.as_dict() for entity in extract_entities(text))


def topic_name(topic: str) -> str:
    """How people write the value: ``BCA``, ``Mandiri``, ``TRC20``, ``USDT``."""
    kind, value = split_topic(topic)
    is_name = len(value) > 4 or f"bank {value.lower()}" in _tables()["bank"]   # not an acronym like BCA, CIMB
    return value.title() if kind == "bank" and is_name else value


def topic_label(topic: str) -> str:
    """``bank BCA``, ``jaringan TRC20``, ``koin USDT`` (for agents and operators)."""
    kind, _ = split_topic(topic)
    return f"{KIND_LABELS.get(kind, kind)} {topic_name(topic)}"
