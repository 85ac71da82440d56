"""fault_nb: Jupyter-native resilience code review.

Run resilience scenarios against an HTTP app (or load the results of fault's
own runs), explore them as DataFrames and plotly charts, map endpoints to their
handlers, and get reviewed code changes as verified unified diffs.

>>> import fault_nb
>>> results = fault_nb.load_results("results.json")  # doctest: +SKIP
>>> results.runs.head()  # doctest: +SKIP

Everything is imported lazily, so ``import fault_nb`` stays cheap.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_exports

__version__ = "0.1.0"

# public name -> module that defines it
_LAZY: dict[str, str] = {
    "load_results": "fault_nb.results",
    "Results": "fault_nb.results",
    "load_scenarios": "fault_nb.scenarios",
    "generate_scenarios": "fault_nb.scenarios",
    "run_scenarios": "fault_nb.scenarios",
    "index_source": "fault_nb.code",
    "CodeIndex": "fault_nb.code",
    "review_scenarios": "fault_nb.review",
    "review_endpoint": "fault_nb.review",
    "review_all": "fault_nb.review",
    "Review": "fault_nb.review",
    "serve_app": "fault_nb.apps",
    "defaults": "fault_nb._defaults",
    "compare": "fault_nb.verify",
    "FaultNbError": "fault_nb.errors",
}

__all__ = sorted(_LAZY) + ["__version__"]


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)


if TYPE_CHECKING:  # pragma: no cover
    from ._defaults import defaults
    from .apps import serve_app
    from .code import CodeIndex, index_source
    from .errors import FaultNbError
    from .results import Results, load_results
    from .review import Review, review_all, review_endpoint, review_scenarios
    from .scenarios import generate_scenarios, load_scenarios, run_scenarios
    from .verify import compare
