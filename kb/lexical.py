"""BM25 over normalised Indonesian words and their character n-grams."""
from __future__ import annotations

import math
import re
from collections import Counter
from typing import Dict, List, Sequence

from nlu.normalizer import normalize

# Very frequent words that carry no topic signal in support questions.
STOPWORDS = frozenset(
    "saya kamu anda admin kak yang di ke dari dan atau itu ini ada apa apakah bagaimana kenapa "
    "mengapa kok sih dong ya iya deh nih tuh lah kah pun untuk dengan pada sudah belum tidak "
    "bisa mau ingin tolong mohon halo min banget saja juga lagi masih akan jadi tapi kalau "
    "cara caranya gimana berapa bagaimanakah hari "
    # English function words: code-mixed and English questions must not match articles on "i", "how", "the".
    "i me my you your we our the a an is are am was were be been do does did to of in on at for from with "
    "how what when why where which who can could would will should have has had it its this that there "
    "please hi hello".split()
)
_WORD = re.compile(r"[a-z0-9]+")
_NGRAM = 4


def char_ngrams(word: str, size: int = _NGRAM) -> List[str]:
    """Character n-grams of a word with boundary marks; they match across Indonesian affixes
    ("penarikan" ~ "tarik") and typos without a language-specific stemmer."""
    padded = f"<{word}>"
    if len(padded) <= size:
        return [padded]
    return [padded[i : i + size] for i in range(len(padded) - size + 1)]


def analyse(text: str) -> List[str]:
    """Normalise, tokenise and drop stopwords; return words plus their character n-grams."""
    words = [w for w in _WORD.findall(normalize(text)) if w not in STOPWORDS]
    return words + [gram for w in words for gram in char_ngrams(w)]


class BM25:
    """Okapi BM25 over a small corpus of documents, each a list of terms."""

    def __init__(self, documents: Sequence[List[str]], k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self._docs = [Counter(doc) for doc in documents]
        self._lengths = [len(doc) for doc in documents]
        self._avg_length = (sum(self._lengths) / len(self._lengths)) if self._lengths else 0.0
        frequency: Counter = Counter()
        for doc in self._docs:
            frequency.update(doc.keys())
        total = len(self._docs)
        self._idf: Dict[str, float] = {
            term: math.log(1 + (total - df + 0.5) / (df + 0.5)) for term, df in frequency.items()
        }

    def scores(self, query_terms: List[str]) -> List[float]:
        """BM25 score of every document for the query terms."""
        results = []
        for doc, length in zip(self._docs, self._lengths, strict=True):
            score = 0.0
            norm = self.k1 * (1 - self.b + self.b * length / (self._avg_length or 1.0))
            for term in set(query_terms):
                tf = doc.get(term)
                if tf:
                    score += self._idf[term] * tf * (self.k1 + 1) / (tf + norm)
            results.append(score)
        return results
