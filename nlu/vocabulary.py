"""Crypto vocabulary (coins, networks, banks) loaded from ``resources/crypto_terms.yml``."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, FrozenSet

import yaml

TERMS_FILE = Path(__file__).parent / "resources" / "crypto_terms.yml"

# Aliases that are also everyday Indonesian or English words ("ada" = there is, "dana" = funds,
# "ton" = tonnes): they only count as coins/banks when written in capitals.
AMBIGUOUS_ALIASES = frozenset({"ada", "link", "dot", "ton", "dana", "mega", "jago", "atom", "sol", "pol",
                               "arb", "blu", "ovo", "pepe", "ether", "tron", "spl", "segwit"})


def is_ambiguous_lowercase(surface: str) -> bool:
    """True for an ambiguous alias not written in capitals (so it is an ordinary word)."""
    return surface.lower() in AMBIGUOUS_ALIASES and not surface.isupper()


@dataclass(frozen=True)
class Vocabulary:
    """Alias -> canonical value maps for each entity kind."""

    coins: Dict[str, str]
    networks: Dict[str, str]
    banks: Dict[str, str]

    @property
    def tickers(self) -> FrozenSet[str]:
        """Lowercase coin tickers and single-word network codes, kept whole by the tokenizer."""
        words = {alias for alias in self.coins if " " not in alias and len(alias) <= 5}
        words |= {alias.replace("-", "") for alias in self.networks if " " not in alias}
        return frozenset(words)


def _invert(groups: Dict[str, list]) -> Dict[str, str]:
    return {str(alias).lower(): canonical for canonical, aliases in groups.items() for alias in aliases}


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    """Load the vocabulary once per process."""
    with TERMS_FILE.open(encoding="utf-8") as handle:
        raw = yaml.safe_load(handle)
    return Vocabulary(
        coins=_invert(raw["coins"]),
        networks=_invert(raw["networks"]),
        banks=_invert(raw["banks"]),
    )
