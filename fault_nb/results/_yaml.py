"""results.yaml as fault writes it (serde_yaml 0.9), on the shared emitter in ``fault_nb._serde_yaml``.

The loader (``serde_like_loader``) reads YAML 1.2-style
scalars as serde_yaml does: ``yes``, ``off``, ``017``, ``1_000``, dates and ``1:20`` stay
strings. Each row's ``errors`` entries (``ScenarioError``, an externally tagged
enum) are YAML tags in fault's file (spec A.4b): ``- !HTTPMethodError DELETE ALL``
reads as the JSON form ``{"HTTPMethodError": "DELETE ALL"}`` and is written back
as the tag.

>>> print(dumps_yaml({"n": "017", "e": "1e3", "l": [{"x": 1.0}]}), end="")
n: '017'
e: '1e3'
l:
- x: 1.0
"""
from __future__ import annotations

from typing import Any

from .._serde_yaml import Tagged, dumps_yaml
from .._serde_yaml import is_non_string as serde_non_string
from .._serde_yaml import serde_like_loader, yaml_string
from ._serde import strip_omitted

__all__ = ["SCENARIO_ERRORS", "dumps_results_yaml", "dumps_yaml", "serde_like_loader", "serde_non_string",
           "yaml_string"]

# fault's ScenarioError variants (spec A.3); their tags are read anywhere, any other
# !Name only as an entry of an ``errors`` list
SCENARIO_ERRORS = frozenset((
    "HTTPMethodError", "HTTPError", "IoError", "ReportError", "WalkDirError", "UnsupportedOpenAPIVersion",
    "OpenAPIParsingError", "ReadError", "ParseError", "MissingOpenAPIVersion", "ExpectedDirectoryError"))


def dumps_results_yaml(data: dict) -> str:
    """Encode a ScenariosResults dict as fault writes results.yaml (serde_yaml 0.9).

    >>> dumps_results_yaml({"start": 1, "end": 2, "results": []})
    'start: 1\\nend: 2\\nresults: []\\n'
    """
    return dumps_yaml(_tag_errors(strip_omitted(data)))


def _tag_errors(data: dict) -> dict:
    """Copy of ``data`` whose rows' one-key ``errors`` objects are :class:`Tagged` (copied along that path only)."""
    def each(value: Any, key: str, fn):
        if isinstance(value, dict) and isinstance(value.get(key), list):
            return {**value, key: [fn(v) for v in value[key]]}
        return value

    def row(r: Any) -> Any:
        return each(r, "errors", lambda e: Tagged(*next(iter(e.items()))) if isinstance(e, dict) and len(e) == 1
                    else e)

    return each(data, "results", lambda sr: each(sr, "results", lambda item: each(item, "results", row)))
