"""Default collaborators built from the environment (only the CLI, the widgets and this module build them).

The core takes its collaborators as keyword arguments (``llm=``, ``embedder=``,
``store=``); this is the one place that reads the environment to choose them.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any


@dataclass
class Defaults:
    """``llm``: an LLMClient or None (offline rules reviewer); ``embedder``: dense embedder or None (sparse
    vectors only; ``FAULT_NB_EMBED_BASE_URL``/``FAULT_NB_EMBED_MODEL`` choose an OpenAI-compatible endpoint,
    ``FAULT_NB_EMBED_MODEL=minilm`` without a base URL the local MiniLM model); ``store``: None lets
    ``index_source`` pick an embedded qdrant per source tree, or a server when ``QDRANT_URL`` is set."""

    llm: Any = None
    embedder: Any = None
    store: Any = None

    @property
    def reviewer(self) -> str:
        """The label of the reviewer ``llm`` selects (the core's wording)."""
        from .review.code_review import make_reviewer

        return make_reviewer(self.llm).label

    def as_kwargs(self) -> dict:
        return {"llm": self.llm, "embedder": self.embedder, "store": self.store}


def defaults(**overrides: Any) -> Defaults:
    """Collaborators chosen from the environment; ``overrides`` win.

    >>> d = defaults()  # doctest: +SKIP
    >>> d.llm is None  # no FAULT_NB_LLM_* / OPENAI_API_KEY set  # doctest: +SKIP
    True
    """
    d = Defaults()
    if "llm" not in overrides:
        from .review.llm import llm_from_env

        d.llm = llm_from_env()
    if "embedder" not in overrides and (os.environ.get("FAULT_NB_EMBED_BASE_URL")
                                        or os.environ.get("FAULT_NB_EMBED_MODEL")):
        if not os.environ.get("FAULT_NB_EMBED_BASE_URL") \
                and os.environ.get("FAULT_NB_EMBED_MODEL", "").strip().lower() == "minilm":
            from .code.embed import MiniLMEmbedder  # local model of the [minilm] extra

            d.embedder = MiniLMEmbedder()
        else:
            from .code.embed import OpenAIEmbedder

            d.embedder = OpenAIEmbedder()
    for key, value in overrides.items():
        if not hasattr(d, key):
            raise TypeError(f"defaults() got an unknown collaborator {key!r}; expected llm, embedder or store")
        setattr(d, key, value)
    return d
