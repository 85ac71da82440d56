"""Token estimates without a tokenizer.

tiktoken downloads its vocabularies at run time, which cannot happen offline,
so fault_nb estimates: about 4 characters per token for English and code
(OpenAI's rule of thumb), counted on words and punctuation so that dense code
is not underestimated. Every figure derived from this is labelled "estimated".
"""
from __future__ import annotations

import re

_PIECES = re.compile(r"\w+|[^\w\s]", re.UNICODE)


def estimate_tokens(text: str) -> int:
    """Estimated token count of ``text`` (the larger of two cheap estimates).

    >>> estimate_tokens("def f(x): return x + 1")
    10
    """
    if not text:
        return 0
    by_chars = len(text) / 4.0
    pieces = _PIECES.findall(text)
    # long identifiers split into several tokens: ~1 token per 6 chars of word
    by_pieces = sum(max(1, len(p) // 6) if p[0].isalnum() or p[0] == "_" else 1 for p in pieces)
    return int(max(by_chars, by_pieces) + 0.5)
