"""results.yaml as fault writes it (serde_yaml 0.9), on the shared emitter in ``fault_nb._serde_yaml``.

The loader (``serde_like_loader``) reads YAML 1.2-style
scalars as serde_yaml does: ``yes``, ``017``, ``1_000``, dates and ``1:20`` stay
strings.

>>> print(dumps_yaml({"n": "017", "e": "1e3", "l": [{"x": 1.0}]}), end="")
n: '017'
e: '1e3'
l:
- x: 1.0
"""
from __future__ import annotations

from typing import Any

from .._serde_yaml import dumps_yaml
from .._serde_yaml import is_non_string as serde_non_string
from .._serde_yaml import serde_like_loader, yaml_string
from ._serde import strip_omitted

__all__ = ["dumps_results_yaml", "dumps_yaml", "serde_like_loader", "serde_non_string", "yaml_string"]


def dumps_results_yaml(data: dict) -> str:
    """Encode a ScenariosResults dict as fault writes results.yaml (serde_yaml 0.9).

    >>> dumps_results_yaml({"start": 1, "end": 2, "results": []})
    'start: 1\\nend: 2\\nresults: []\\n'
    """
    return dumps_yaml(strip_omitted(data))
