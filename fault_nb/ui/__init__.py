"""Notebook widgets: thin ipywidgets / anywidget views over the fault_nb core.

>>> from fault_nb.ui import ResultsExplorer, ReviewPanel  # doctest: +SKIP
>>> ResultsExplorer(fault_nb.load_results("results.json"))  # doctest: +SKIP

The classes are imported lazily so ``import fault_nb.ui`` does not pull in
ipywidgets until a widget is actually used.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

_LAZY = {
    "ResultsExplorer": "fault_nb.ui.explorer",
    "EndpointPicker": "fault_nb.ui.picker",
    "ReviewPanel": "fault_nb.ui.panel",
    "DiffViewer": "fault_nb.ui.diffviewer",
    "Dashboard": "fault_nb.ui.dashboard",
}

__all__ = sorted(_LAZY)


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)


if TYPE_CHECKING:  # pragma: no cover
    from .dashboard import Dashboard
    from .diffviewer import DiffViewer
    from .explorer import ResultsExplorer
    from .panel import ReviewPanel
    from .picker import EndpointPicker
