"""Lazy package exports: names are imported from their module on first use.

Keeps ``import fault_nb`` (and the CLI parser, which imports every ``cli.py``)
from loading pandas, plotly, openai, qdrant or tree-sitter until they are needed.
"""
from __future__ import annotations

import importlib
import sys
from typing import Any, Callable


def lazy_exports(package: str, names: dict[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``; ``names`` maps a name to its module.

    A module starting with ``.`` is relative to ``package``.

    >>> __getattr__, __dir__ = lazy_exports(__name__, {"load_results": "fault_nb.results"})  # doctest: +SKIP
    """

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        target = package + module if module.startswith(".") else module
        value = getattr(importlib.import_module(target), name)
        setattr(sys.modules[package], name, value)  # cache: next access skips __getattr__
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(names))

    return __getattr__, __dir__
