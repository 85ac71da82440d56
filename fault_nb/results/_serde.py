"""fault's exact encodings: serde_json's pretty writer and serde_yaml 0.9.

fault writes results.json with ``serde_json::to_writer_pretty`` and floats with
the ryu algorithm (spec A.1). Python's ``json`` spells floats differently
(``1e+16``, ``1e-05``) and writes ``NaN``, so fault_nb has its own writer: a
file we write is byte-identical to the one fault would have written.

>>> dumps_json({"a": [1, 0.5, 1e16], "b": {}})
'{\\n  "a": [\\n    1,\\n    0.5,\\n    1e16\\n  ],\\n  "b": {}\\n}'
"""
from __future__ import annotations

import json
import math
import re
from typing import Any

_json_str = json.encoder.encode_basestring  # escapes exactly what serde_json escapes


def ryu_f64(x: float) -> str:
    """Format a float the way Rust's ryu crate does (shortest digits, always '.' or 'e').

    Positional for 1e-5 <= |x| < 1e16, otherwise ``<d>[.<ddd>]e<exp>`` without
    ``+`` or zero padding. Non-finite values have no JSON form: callers write null.

    >>> [ryu_f64(v) for v in (800.0, 0.05, 1e16, 1e-5, 1e-7, 1.2345678901234568e17)]
    ['800.0', '0.05', '1e16', '0.00001', '1e-7', '1.2345678901234568e17']
    """
    r = repr(float(x))
    if "e" not in r:
        return r  # Python and ryu agree on positional floats in [1e-4, 1e16)
    mant, exp_s = r.split("e")
    exp = int(exp_s)
    neg = mant.startswith("-")
    if neg:
        mant = mant[1:]
    digits = mant.replace(".", "")
    # value = 0.d1d2d3... * 10**kk
    kk = exp + 1
    sign = "-" if neg else ""
    if -5 < kk <= 0:
        return f"{sign}0.{'0' * -kk}{digits}"
    if 0 < kk <= 16:  # cannot happen via repr, kept for completeness
        if len(digits) <= kk:
            return f"{sign}{digits}{'0' * (kk - len(digits))}.0"
        return f"{sign}{digits[:kk]}.{digits[kk:]}"
    if len(digits) == 1:
        return f"{sign}{digits}e{kk - 1}"
    return f"{sign}{digits[0]}.{digits[1:]}e{kk - 1}"


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


# ----------------------------------------------------------------------------- YAML

# Strings that YAML 1.1/1.2 resolvers would read back as something else.
_YAML_SPECIAL = re.compile(
    r"""^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|y|Y|yes|Yes|YES|n|N|no|No|NO
    |on|On|ON|off|Off|OFF
    |[-+]?(?:0|[1-9][0-9_]*)
    |[-+]?0b[01_]+|[-+]?0o?[0-7_]+|[-+]?0x[0-9a-fA-F_]+
    |[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)
    |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?
    |<<|=)$""",
    re.VERBOSE,
)
_PLAIN_BAD_START = set("-?:,[]{}#&*!|>'\"%@`")


_YAML_TIMESTAMP = re.compile(r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:$|[Tt ]|\s)")
# characters YAML cannot hold raw (C1 controls, NEL, line/paragraph separators, BOM, non-characters)
_YAML_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")


def _yaml_double_quoted(s: str) -> str:
    out = ['"']
    for c in s:
        o = ord(c)
        if c == '"' or c == "\\":
            out.append("\\" + c)
        elif c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        elif c == "\r":
            out.append("\\r")
        elif o < 0x20 or 0x7F <= o <= 0x9F:
            out.append(f"\\x{o:02x}")
        elif _YAML_UNPRINTABLE.match(c):
            out.append(f"\\u{o:04x}")
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def _yaml_str(s: str) -> str:
    """A string scalar: plain when it reads back as the same string, else quoted."""
    if s == "":
        return "''"
    if "\n" in s or "\r" in s or "\t" in s or _YAML_UNPRINTABLE.search(s):
        return _yaml_double_quoted(s)
    needs_quote = (
        bool(_YAML_SPECIAL.match(s)) or bool(_YAML_TIMESTAMP.match(s))
        or (s[0] in _PLAIN_BAD_START and not (s[0] in "-?:" and len(s) > 1 and s[1] != " "))
        or s.startswith(("---", "..."))
        or s[0] == " " or s[-1] == " "
        or ": " in s or " #" in s or s.endswith(":")
    )
    if needs_quote:
        return "'" + s.replace("'", "''") + "'"
    return s


def _yaml_scalar(o: Any) -> str:
    if o is None:
        return "null"
    if o is True:
        return "true"
    if o is False:
        return "false"
    if isinstance(o, str):
        return _yaml_str(o)
    if isinstance(o, int):
        return int.__repr__(o)
    if isinstance(o, float):
        if math.isnan(o):
            return ".nan"
        if math.isinf(o):
            return ".inf" if o > 0 else "-.inf"
        return ryu_f64(o)
    item = getattr(o, "item", None)
    if item is not None:
        return _yaml_scalar(item())
    raise TypeError(f"cannot encode {type(o).__name__} as YAML")


def dumps_yaml(data: Any) -> str:
    """serde_yaml 0.9's block style: 2-space indent, sequences under a key not indented.

    >>> print(dumps_yaml({"a": [1, {"b": 2.0}], "c": {}}), end="")
    a:
    - 1
    - b: 2.0
    c: {}
    """
    lines: list[str] = []

    def block(o: Any, indent: str) -> None:
        # o is a non-empty dict or list; emit at the given indent
        if isinstance(o, dict):
            for k, v in o.items():
                key = _yaml_str(str(k))
                if isinstance(v, dict) and v:
                    lines.append(f"{indent}{key}:")
                    block(v, indent + "  ")
                elif isinstance(v, (list, tuple)) and v:
                    lines.append(f"{indent}{key}:")
                    block(v, indent)
                else:
                    lines.append(f"{indent}{key}: {inline(v)}")
        else:
            for v in o:
                if isinstance(v, (dict, list, tuple)) and v:
                    start = len(lines)
                    block(v, indent + "  ")
                    first = lines[start]
                    lines[start] = f"{indent}- " + first[len(indent) + 2:]
                else:
                    lines.append(f"{indent}- {inline(v)}")

    def inline(v: Any) -> str:
        if isinstance(v, dict):
            return "{}"
        if isinstance(v, (list, tuple)):
            return "[]"
        return _yaml_scalar(v)

    if isinstance(data, (dict, list, tuple)) and data:
        block(data, "")
    else:
        lines.append(inline(data))
    return "\n".join(lines) + "\n"


def dumps_results_yaml(data: dict) -> str:
    """Encode a ScenariosResults dict as fault writes results.yaml (serde_yaml 0.9).

    >>> dumps_results_yaml({"start": 1, "end": 2, "results": []})
    'start: 1\\nend: 2\\nresults: []\\n'
    """
    return dumps_yaml(strip_omitted(data))
