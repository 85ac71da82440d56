"""Code review: scenario review, per-endpoint review with verified diffs, offline rules reviewer.

>>> from fault_nb.review import review_endpoint, review_scenarios  # doctest: +SKIP

Exports are lazy so that building the CLI parser (which imports
``fault_nb.review.cli``) does not import openai, pandas or tree-sitter.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

_LAZY = {
    "review_scenarios": "fault_nb.review.scenario_review",
    "ScenarioReview": "fault_nb.review.model",
    "review_endpoint": "fault_nb.review.code_review",
    "review_all": "fault_nb.review.code_review",
    "Review": "fault_nb.review.model",
    "Suggestion": "fault_nb.review.model",
    "Evidence": "fault_nb.review.model",
    "Provenance": "fault_nb.review.model",
    "ReviewProgress": "fault_nb.review.model",
    "Reviewer": "fault_nb.review.code_review",
    "load_reviews": "fault_nb.review.model",
    "save_reviews": "fault_nb.review.model",
    "LLMClient": "fault_nb.review.llm",
    "llm_from_env": "fault_nb.review.llm",
    "ResponseCache": "fault_nb.review.cache",
    "reviews_markdown": "fault_nb.review.render",
}

__all__ = sorted(_LAZY)


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)


if TYPE_CHECKING:  # pragma: no cover
    from .cache import ResponseCache
    from .code_review import Reviewer, review_all, review_endpoint
    from .llm import LLMClient, llm_from_env
    from .model import (Evidence, Provenance, Review, ReviewProgress, ScenarioReview, Suggestion, load_reviews,
                        save_reviews)
    from .render import reviews_markdown
    from .scenario_review import review_scenarios
