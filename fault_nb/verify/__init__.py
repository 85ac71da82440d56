"""The closed loop: prove a suggested change by measuring it.

``verify_fix`` applies chosen suggestions to a copy of the source, restarts the
app, replays the same seeded scenarios and compares before and after;
``AppSpec`` says how to start any HTTP app.

>>> from fault_nb.verify import AppSpec, verify_fix  # doctest: +SKIP
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

_LAZY = {
    "verify_fix": "fault_nb.verify.loop",
    "AppSpec": "fault_nb.verify.launcher",
    "start_app": "fault_nb.verify.launcher",
    "Verification": "fault_nb.verify.verification",
    "SuggestionVerdict": "fault_nb.verify.verification",
}

__all__ = sorted(_LAZY)

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)

if TYPE_CHECKING:  # pragma: no cover
    from .launcher import AppSpec, start_app
    from .loop import verify_fix
    from .verification import SuggestionVerdict, Verification
