"""fault's exact JSON encoding: serde_json's pretty writer (YAML lives in ``_yaml``).

fault writes results.json with ``serde_json::to_writer_pretty`` and floats with
the ryu algorithm (spec A.1; ``fault_nb._ryu``, shared with the YAML writer).
Python's ``json`` spells floats differently (``1e+16``, ``1e-05``) and writes
``NaN``, so fault_nb has its own writer: a file we write is byte-identical to
the one fault would have written.

>>> dumps_json({"a": [1, 0.5, 1e16], "b": {}})
'{\\n  "a": [\\n    1,\\n    0.5,\\n    1e16\\n  ],\\n  "b": {}\\n}'
"""
from __future__ import annotations

import json
import math
from typing import Any

from .._ryu import ryu_f64

_json_str = json.encoder.encode_basestring  # escapes exactly what serde_json escapes


def _scalar_json(o: Any) -> str:
    if o is None:
        return "null"
    if o is True:
        return "true"
    if o is False:
        return "false"
    if isinstance(o, str):
        return _json_str(o)
    if isinstance(o, int):
        return int.__repr__(o)
    if isinstance(o, float):
        return ryu_f64(o) if math.isfinite(o) else "null"
    item = getattr(o, "item", None)  # numpy scalars
    if item is not None:
        return _scalar_json(item())
    raise TypeError(f"cannot encode {type(o).__name__} as JSON")


def dumps_json(data: Any) -> str:
    """serde_json's ``to_string_pretty`` for plain Python data (member order as given).

    >>> dumps_json({"x": float("nan"), "s": "é/\\n"})
    '{\\n  "x": null,\\n  "s": "é/\\\\n"\\n}'
    """
    out: list[str] = []
    append = out.append

    def enc(o: Any, indent: str) -> None:
        if isinstance(o, dict):
            if not o:
                append("{}")
                return
            inner = indent + "  "
            append("{\n")
            first = True
            for k, v in o.items():
                if not first:
                    append(",\n")
                first = False
                append(inner)
                append(_json_str(str(k)))
                append(": ")
                if isinstance(v, (dict, list, tuple)):
                    enc(v, inner)
                else:
                    append(_scalar_json(v))
            append("\n")
            append(indent)
            append("}")
        elif isinstance(o, (list, tuple)):
            if not o:
                append("[]")
                return
            inner = indent + "  "
            append("[\n")
            first = True
            for v in o:
                if not first:
                    append(",\n")
                first = False
                append(inner)
                if isinstance(v, (dict, list, tuple)):
                    enc(v, inner)
                else:
                    append(_scalar_json(v))
            append("\n")
            append(indent)
            append("]")
        else:
            append(_scalar_json(o))

    enc(data, "")
    return "".join(out)


def strip_omitted(data: dict) -> dict:
    """Drop the empty lists fault omits on write (spec A.5), without touching ``data``.

    ``Results.raw`` reads omitted ``upstreams``/``faults``/``segments`` as ``[]``;
    writing them back must omit them again to stay byte-identical with fault.
    """
    results = data.get("results")
    if not isinstance(results, list):
        return data
    new_results = []
    for sr in results:
        scen = sr.get("scenario") if isinstance(sr, dict) else None
        if not isinstance(scen, dict):
            new_results.append(sr)
            continue
        scen = dict(scen)
        items = scen.get("items")
        if isinstance(items, list):
            new_items = []
            for it in items:
                ctx = it.get("context") if isinstance(it, dict) else None
                if isinstance(ctx, dict) and any(
                    k in ctx and ctx[k] == [] for k in ("upstreams", "faults")
                ):
                    it = dict(it)
                    it["context"] = {k: v for k, v in ctx.items()
                                     if not (k in ("upstreams", "faults") and v == [])}
                new_items.append(it)
            scen["items"] = new_items
        cfg = scen.get("config")
        http = cfg.get("http") if isinstance(cfg, dict) else None
        paths = http.get("paths") if isinstance(http, dict) else None
        if isinstance(paths, dict) and paths.get("segments", None) in ({}, []):
            paths = {k: v for k, v in paths.items() if k != "segments"}
            scen["config"] = {**cfg, "http": {**http, "paths": paths}}
        sr = dict(sr)
        sr["scenario"] = scen
        new_results.append(sr)
    return {**data, "results": new_results}


def dumps_results(data: dict) -> str:
    """Encode a ScenariosResults dict exactly as fault writes results.json (spec A.1).

    No trailing newline, ryu floats, NaN/inf as null, raw non-ASCII, member
    order as given; empty ``upstreams``/``faults``/``segments`` are omitted like
    fault does.

    >>> dumps_results({"start": 1, "end": 2, "results": []})
    '{\\n  "start": 1,\\n  "end": 2,\\n  "results": []\\n}'
    """
    return dumps_json(strip_omitted(data))
