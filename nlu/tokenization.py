"""spaCy Indonesian tokenisation that keeps crypto tickers, addresses and TXIDs whole."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, List, Tuple

from nlu.vocabulary import vocabulary

# Long codes: EVM/TRON/BTC addresses, TXIDs, e-mail addresses.
_CODE = re.compile(r"^(?:0x[0-9a-fA-F]{6,}|[13T][1-9A-HJ-NP-Za-km-z]{25,44}|bc1[0-9a-z]{8,87}|[0-9a-fA-F]{32,}"
                   r"|\S+@\S+\.\w+)$")


@lru_cache(maxsize=1)
def spacy_tokenizer() -> Any:
    """Build a blank Indonesian spaCy pipeline whose tokenizer knows crypto tickers."""
    import spacy
    from spacy.symbols import ORTH
    from spacy.tokenizer import Tokenizer
    from spacy.util import compile_prefix_regex

    nlp = spacy.blank("id")
    tokenizer = nlp.tokenizer
    assert isinstance(tokenizer, Tokenizer)   # a blank pipeline has spaCy's rule-based tokenizer
    tickers = sorted(vocabulary().tickers, key=len, reverse=True)
    ticker_group = "|".join(re.escape(t) for t in tickers)
    for ticker in tickers:
        for form in {ticker, ticker.upper()}:
            tokenizer.add_special_case(form, [{ORTH: form}])
            tokenizer.add_special_case(form + "nya", [{ORTH: form}, {ORTH: "nya"}])
    # "100USDT" -> "100" "USDT": a number is a prefix when a ticker follows it.
    prefixes = list(nlp.Defaults.prefixes or ()) + [rf"\d+(?:[.,]\d+)*(?=(?i:{ticker_group})\b)"]
    tokenizer.prefix_search = compile_prefix_regex(prefixes).search
    tokenizer.token_match = _CODE.match
    return tokenizer


def tokenize(text: str) -> List[Tuple[str, int]]:
    """Return ``(token, start offset)`` pairs, skipping whitespace tokens."""
    return [(tok.text, tok.idx) for tok in spacy_tokenizer()(text) if not tok.is_space]
