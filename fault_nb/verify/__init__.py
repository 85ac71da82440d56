"""Prove a fix: compare two runs of the same scenarios with intervals and honest verdicts.

>>> import fault_nb
>>> cmp = fault_nb.compare("before.json", "after.json")  # doctest: +SKIP
>>> cmp.table.query("verdict == 'improved'")  # doctest: +SKIP

``compare`` is imported eagerly because its module has the same name: a lazy
export would be shadowed by the submodule as soon as anything imports
``fault_nb.verify.compare``. That module imports numpy and pandas only inside
its functions, so ``import fault_nb.verify`` stays cheap; heavier names go
through ``_LAZY``.
"""
from __future__ import annotations

from .._lazy import lazy_exports
from .compare import Comparison, compare

# public name -> module that defines it (imported on first use)
_LAZY: dict[str, str] = {}

__all__ = sorted(["compare", "Comparison", *_LAZY])

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
