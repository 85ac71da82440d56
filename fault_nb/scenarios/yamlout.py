"""Write scenarios the way fault does: serde_yaml 0.9 on top of libyaml (spec C.7).

Block style, 2-space indentation, sequences directly under a key not
indented, ``{}``/``[]`` for empty collections, no line folding, f64 printed
by ryu (always with ``.0`` or an exponent), strings plain unless they would
read back as something else or libyaml's scalar analysis forbids it (then
single-quoted, or double-quoted when they hold special characters; strings
with a newline become ``|`` literal blocks). Documents are separated by
``---`` lines, the first has none, the file ends with a newline.

The emitter itself (``dumps_yaml``, ``format_f64``) is ``fault_nb._serde_yaml``,
shared with results.yaml; scenario files get its default, current-serde_yaml
form (digits with a leading zero quoted: ``'0123'``).

The writer applies fault's omission rules: empty ``upstreams``, ``faults`` and
``segments`` are left out (our model keeps them as ``[]``/``{}``).

>>> print(dumps_scenarios_yaml([{"title": "t", "items": [], "config": {}}]), end="")
title: t
items: []
config: {}
"""
from __future__ import annotations

import os
import warnings
from typing import Any

from .._serde_yaml import dumps_yaml, format_f64

__all__ = ["dumps_scenarios_yaml", "write_scenarios", "dumps_yaml", "format_f64", "fault_shape"]


# --- fault's omission rules (spec A.4/A.5) -----------------------------------------

def fault_shape(scenario: dict) -> dict:
    """A copy with the members fault omits when empty left out (what fault writes, spec A.4/A.5).

    >>> fault_shape({"title": "t", "items": [{"call": {}, "context": {"upstreams": [], "faults": []}}]})
    {'title': 't', 'items': [{'call': {}, 'context': {}}]}
    """
    out = dict(scenario)
    items = []
    for item in scenario.get("items") or []:
        item = dict(item)
        ctx = dict(item.get("context") or {})
        for key in ("upstreams", "faults"):
            if key in ctx and not ctx[key]:
                del ctx[key]
        item["context"] = ctx
        items.append(item)
    out["items"] = items
    paths = ((scenario.get("config") or {}).get("http") or {}).get("paths")
    if paths is not None and not paths.get("segments"):
        config = dict(out["config"])
        http = dict(config["http"])
        http["paths"] = {k: v for k, v in paths.items() if k != "segments"}
        config["http"] = http
        out["config"] = config
    return out


def dumps_scenarios_yaml(scenarios: Any) -> str:
    """Scenario dicts as fault's serde_yaml multi-document text (spec C.7).

    Accepts one dict or a list of them (e.g. from :func:`load_scenarios`).
    Plain dicts are normalised first as fault would re-print them (member
    order, ``800`` → ``800.0``, SLO ``type`` → ``slo_type``, periods), so the
    text is what fault writes for the same scenarios.

    >>> print(dumps_scenarios_yaml([{"title": "a", "items": []}, {"title": "b", "items": []}]), end="")
    title: a
    items: []
    ---
    title: b
    items: []
    """
    from .model import ScenarioList, ScenarioWarning, load_scenarios

    if isinstance(scenarios, dict):
        scenarios = [scenarios]
    if not isinstance(scenarios, ScenarioList):
        # lenient: also what fault itself writes into results.json (omitted empty lists);
        # quiet: load_scenarios / write_scenarios are where unknown keys get reported
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ScenarioWarning)
            scenarios = load_scenarios(list(scenarios), lenient=True)
    return "---\n".join(dumps_yaml(fault_shape(s)) for s in scenarios)


def write_scenarios(scenarios: Any, path: str | os.PathLike) -> str:
    """Validate, then write scenarios atomically as fault's YAML; returns the text written.

    >>> write_scenarios(scenarios, "scenario.yaml")  # doctest: +SKIP
    """
    from .._io import atomic_write
    from .model import load_scenarios

    # validate first so a bad dict never lands on disk as a file fault cannot run
    checked = load_scenarios([scenarios] if isinstance(scenarios, dict) else list(scenarios))
    text = dumps_scenarios_yaml(checked)
    atomic_write(path, text)
    return text

