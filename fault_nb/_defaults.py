"""Default collaborators built from the environment (only the CLI, the widgets and this module build them).

The core takes its collaborators as keyword arguments (``llm=``, ``embedder=``,
``store=``); this is the one place that chooses them, from
:class:`fault_nb.settings.Settings` (``Settings.from_env(os.environ)``).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Mapping


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


def defaults(*, environ: Mapping[str, str] | None = None, llm_options: dict | None = None,
             **overrides: Any) -> Defaults:
    """Collaborators chosen from the environment (``environ``, default ``os.environ``); ``overrides`` win.
    ``llm_options`` (e.g. ``{"timeout": 30, "max_tokens": 800}``, the CLI's flags) go to the LLM client.

    >>> d = defaults()  # doctest: +SKIP
    >>> d.llm is None  # no FAULT_NB_LLM_* / OPENAI_API_KEY set  # doctest: +SKIP
    True
    """
    from .settings import Settings

    env = os.environ if environ is None else environ
    settings = Settings.from_env(env)  # validates every variable, also when a collaborator is given
    d = Defaults()
    if "llm" not in overrides:
        from .review.llm import llm_from_env

        d.llm = llm_from_env(env, **{k: v for k, v in (llm_options or {}).items() if v is not None})
    if "embedder" not in overrides and settings.embed.kind == "minilm":
        from .code.embed import MiniLMEmbedder  # local model of the [minilm] extra

        d.embedder = MiniLMEmbedder()
    elif "embedder" not in overrides and settings.embed.kind == "openai":
        from .code.embed import OpenAIEmbedder

        d.embedder = OpenAIEmbedder.from_env(env)

    for key, value in overrides.items():
        if not hasattr(d, key):
            raise TypeError(f"defaults() got an unknown collaborator {key!r}; expected llm, embedder or store")
        setattr(d, key, value)
    return d
