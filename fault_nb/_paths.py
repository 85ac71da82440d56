"""Where fault_nb keeps its caches (index store, LLM response cache)."""
from __future__ import annotations

import os
from pathlib import Path


def cache_dir(*parts: str) -> Path:
    """``$FAULT_NB_CACHE_DIR`` or ``~/.cache/fault-nb``, plus ``parts``; created on demand.

    >>> cache_dir("index")  # doctest: +SKIP
    PosixPath('/home/me/.cache/fault-nb/index')
    """
    base = os.environ.get("FAULT_NB_CACHE_DIR")  # both listed in fault_nb.settings.VARIABLES
    if base:
        root = Path(base)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        root = (Path(xdg) if xdg else Path.home() / ".cache") / "fault-nb"
    path = root.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path
