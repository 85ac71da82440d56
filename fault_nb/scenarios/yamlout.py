"""Write scenarios the way fault does: serde_yaml 0.9 on top of libyaml (spec C.7).

Block style, 2-space indentation, sequences directly under a key not
indented, ``{}``/``[]`` for empty collections, no line folding, f64 printed
by ryu (always with ``.0`` or an exponent), strings plain unless they would
read back as something else or libyaml's scalar analysis forbids it (then
single-quoted, or double-quoted when they hold special characters; strings
with a newline become ``|`` literal blocks). Documents are separated by
``---`` lines, the first has none, the file ends with a newline.

The writer applies fault's omission rules: empty ``upstreams``, ``faults`` and
``segments`` are left out (our model keeps them as ``[]``/``{}``).

>>> print(dumps_scenarios_yaml([{"title": "t", "items": [], "config": {}}]), end="")
title: t
items: []
config: {}
"""
from __future__ import annotations

import math
import os
import warnings
from typing import Any, Iterable

from ._yamlread import digits_but_not_number, resolve_plain

__all__ = ["dumps_scenarios_yaml", "write_scenarios", "dumps_yaml", "format_f64", "fault_shape"]


def format_f64(value: float) -> str:
    """Format a float as Rust's ryu crate does (serde_json and serde_yaml use it).

    >>> [format_f64(v) for v in (800.0, 0.05, 1e16, 1e-7, 0.00001, 123456.789)]
    ['800.0', '0.05', '1e16', '1e-7', '0.00001', '123456.789']
    """
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    sign = "-" if math.copysign(1.0, value) < 0 else ""
    value = abs(value)
    if value == 0.0:
        return sign + "0.0"
    # repr gives the shortest round-trip digits; re-lay them out as ryu does
    mantissa, _, exp = repr(value).partition("e")
    int_part, _, frac_part = mantissa.partition(".")
    digits = (int_part + frac_part).lstrip("0")
    exponent = int(exp or 0) + len(int_part) - (len(int_part + frac_part) - len((int_part + frac_part).lstrip("0")))
    digits = digits.rstrip("0") or "0"
    # value = 0.<digits> * 10**kk
    kk = exponent
    length = len(digits)
    if 0 <= kk - length and kk <= 16:
        out = digits + "0" * (kk - length) + ".0"
    elif 0 < kk <= 16:
        out = digits[:kk] + "." + digits[kk:]
    elif -5 < kk <= 0:
        out = "0." + "0" * (-kk) + digits
    elif length == 1:
        out = f"{digits}e{kk - 1}"
    else:
        out = f"{digits[0]}.{digits[1:]}e{kk - 1}"
    return sign + out


# --- libyaml's scalar analysis (emitter.c: yaml_emitter_analyze_scalar) ------------

_BREAKS = "\r\n\x85\u2028\u2029"


def _printable(ch: str) -> bool:
    o = ord(ch)
    return (o == 0x0A or 0x20 <= o <= 0x7E or 0xA0 <= o <= 0xD7FF
            or (0xE000 <= o <= 0xFFFD and o != 0xFEFF) or 0x10000 <= o <= 0x10FFFF)


def _analyze(text: str) -> dict:
    if not text:
        return dict(multiline=False, flow_plain=False, block_plain=True, single=True, block=False)
    flow_ind = block_ind = False
    line_breaks = special = False
    leading_space = leading_break = trailing_space = trailing_break = False
    break_space = space_break = previous_space = previous_break = False
    if text.startswith(("---", "...")):
        flow_ind = block_ind = True
    preceded_ws = True
    n = len(text)

    def blankz(i: int) -> bool:
        return i >= n or text[i] in " \t" or text[i] in _BREAKS

    followed_ws = blankz(1)
    for i, ch in enumerate(text):
        first, last = i == 0, i == n - 1
        if first:
            if ch in "#,[]{}&*!|>'\"%@`":
                flow_ind = block_ind = True
            if ch in "?:":
                flow_ind = True
                if followed_ws:
                    block_ind = True
            if ch == "-" and followed_ws:
                flow_ind = block_ind = True
        else:
            if ch in ",?[]{}":
                flow_ind = True
            if ch == ":":
                flow_ind = True
                if followed_ws:
                    block_ind = True
            if ch == "#" and preceded_ws:
                flow_ind = block_ind = True
        if not _printable(ch):
            special = True
        if ch in _BREAKS:
            line_breaks = True
        if ch == " ":
            leading_space |= first
            trailing_space |= last
            break_space |= previous_break
            previous_space, previous_break = True, False
        elif ch in _BREAKS:
            leading_break |= first
            trailing_break |= last
            space_break |= previous_space
            previous_space, previous_break = False, True
        else:
            previous_space = previous_break = False
        preceded_ws = ch in " \t" or ch in _BREAKS
        followed_ws = blankz(i + 2)
    a = dict(multiline=line_breaks, flow_plain=True, block_plain=True, single=True, block=True)
    if leading_space or leading_break or trailing_space or trailing_break:
        a["flow_plain"] = a["block_plain"] = False
    if trailing_space:
        a["block"] = False
    if break_space:
        a["flow_plain"] = a["block_plain"] = a["single"] = False
    if space_break or special:
        a["flow_plain"] = a["block_plain"] = a["single"] = a["block"] = False
    if line_breaks:
        a["flow_plain"] = a["block_plain"] = False
    if flow_ind:
        a["flow_plain"] = False
    if block_ind:
        a["block_plain"] = False
    return a


def _serde_style(text: str) -> str:
    """serde_yaml's requested style: quote what would read back as null/bool/number."""
    if "\n" in text:
        return "literal"
    if digits_but_not_number(text) or not isinstance(resolve_plain(text), str):
        return "single"
    return "any"


_ESCAPES = {"\0": "0", "\a": "a", "\b": "b", "\t": "t", "\n": "n", "\v": "v", "\f": "f",
            "\r": "r", "\x1b": "e", '"': '"', "\\": "\\", "\x85": "N", "\xa0": "_",
            "\u2028": "L", "\u2029": "P"}


def _double_quoted(text: str) -> str:
    out = []
    for ch in text:
        o = ord(ch)
        if not _printable(ch) or ch in _BREAKS or ch in '"\\' or o == 0xFEFF:
            if ch in _ESCAPES:
                out.append("\\" + _ESCAPES[ch])
            elif o <= 0xFF:
                out.append(f"\\x{o:02X}")
            elif o <= 0xFFFF:
                out.append(f"\\u{o:04X}")
            else:
                out.append(f"\\U{o:08X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _literal(text: str, indent: int) -> list[str]:
    head = "|"
    if text[:1] in " \t" or text[:1] in _BREAKS:
        head += "2"
    if not text.endswith("\n"):
        head += "-"
    elif len(text) >= 2 and text[-2] in _BREAKS or text == "\n":
        head += "+"
    body = text[:-1] if text.endswith("\n") else text
    pad = " " * indent
    return [head] + [(pad + line) if line else "" for line in body.split("\n")]


def _scalar(text: str, *, key: bool, indent: int) -> list[str]:
    """Lines of a string scalar: the first continues the current line."""
    if any(ch in text for ch in _BREAKS[:1] + _BREAKS[2:]):
        # \r, NEL, LS, PS: libyaml would write them raw and a reader would turn them into
        # line breaks; escaped double quotes are the only form that reads back unchanged
        return [_double_quoted(text)]
    style = _serde_style(text)
    a = _analyze(text)
    if key and a["multiline"]:
        return [_double_quoted(text)]
    if style == "literal":
        if not a["block"] or key:
            return [_double_quoted(text)]
        return _literal(text, indent)
    if style == "any":
        if a["block_plain"] and not (not text and key):
            return [text]
        style = "single"
    if not a["single"]:
        return [_double_quoted(text)]
    return ["'" + text.replace("'", "''") + "'"]


def _atom(value: Any) -> str | None:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_f64(value)
    return None


def _value_lines(value: Any, indent: int) -> tuple[list[str], bool]:
    """(lines, inline): inline means the first line follows ``key: `` / ``- ``."""
    atom = _atom(value)
    if atom is not None:
        return [atom], True
    if isinstance(value, str):
        return _scalar(value, key=False, indent=indent), True
    if isinstance(value, dict):
        return (["{}"], True) if not value else (_mapping(value, indent), False)
    if isinstance(value, (list, tuple)):
        return (["[]"], True) if not value else (_sequence(value, indent), False)
    raise TypeError(f"cannot write {type(value).__name__} as YAML")


def _key(key: Any) -> str:
    text = key if isinstance(key, str) else (_atom(key) or str(key))
    return _scalar(text, key=True, indent=0)[0]


def _mapping(m: dict, indent: int) -> list[str]:
    pad = " " * indent
    out: list[str] = []
    for k, v in m.items():
        k_text = _key(k)
        if isinstance(v, (list, tuple)) and v:
            out.append(f"{pad}{k_text}:")
            out.extend(_sequence(v, indent))  # indentless sequence under a key
        elif isinstance(v, dict) and v:
            out.append(f"{pad}{k_text}:")
            out.extend(_mapping(v, indent + 2))
        else:
            lines, _ = _value_lines(v, indent + 2)
            out.append(f"{pad}{k_text}: {lines[0]}")
            out.extend(lines[1:])
    return out


def _sequence(seq: Iterable, indent: int) -> list[str]:
    pad = " " * indent
    out: list[str] = []
    for v in seq:
        if isinstance(v, dict) and v:
            lines = _mapping(v, indent + 2)
            out.append(f"{pad}- {lines[0][indent + 2:]}")
            out.extend(lines[1:])
        elif isinstance(v, (list, tuple)) and v:
            lines = _sequence(v, indent + 2)
            out.append(f"{pad}- {lines[0][indent + 2:]}")
            out.extend(lines[1:])
        else:
            lines, _ = _value_lines(v, indent + 2)
            out.append(f"{pad}- {lines[0]}")
            out.extend(lines[1:])
    return out


def dumps_yaml(value: Any) -> str:
    """One YAML document as serde_yaml writes it (with a trailing newline).

    >>> dumps_yaml({"body": '{"a":1}', "n": "0123", "ok": "yes"})
    'body: \\'{"a":1}\\'\\nn: \\'0123\\'\\nok: yes\\n'
    """
    lines, _ = _value_lines(value, 0)
    if isinstance(value, dict) and value:
        lines = _mapping(value, 0)
    elif isinstance(value, (list, tuple)) and value:
        lines = _sequence(value, 0)
    return "\n".join(lines) + "\n"


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

