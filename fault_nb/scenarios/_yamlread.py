"""Read YAML the way fault's serde_yaml 0.9 does, keeping line numbers.

PyYAML resolves plain scalars by YAML 1.1 rules (``yes`` is a bool, ``1e3``
is a string); serde_yaml uses the 1.2 core rules. We compose the node graph
with PyYAML and resolve every plain scalar ourselves, so a value means the
same to fault and to us, and every value remembers its line for errors.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

_INT_DEC = re.compile(r"[+-]?[0-9]+")
_INT_PREFIXED = re.compile(r"([+-]?)0([xob])([0-9a-fA-F]+)")
_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_INF = {".inf": float("inf"), ".Inf": float("inf"), ".INF": float("inf"),
        "+.inf": float("inf"), "+.Inf": float("inf"), "+.INF": float("inf"),
        "-.inf": float("-inf"), "-.Inf": float("-inf"), "-.INF": float("-inf")}
_NAN = (".nan", ".NaN", ".NAN")


@dataclass
class Scalar:
    """A YAML scalar: its resolved value, original text, style and line (1-based)."""

    value: Any
    raw: str
    plain: bool
    line: int | None = None


class Map(dict):
    """A YAML mapping (string keys) that remembers its line."""

    line: int | None = None
    key_lines: dict


class Seq(list):
    """A YAML sequence that remembers its line."""

    line: int | None = None


class DuplicateKey(Exception):
    def __init__(self, key: str, line: int | None):
        super().__init__(key, line)
        self.key, self.line = key, line


def digits_but_not_number(text: str) -> bool:
    """serde_yaml keeps ``0123`` a string (leading zero) instead of an integer."""
    t = text[1:] if text[:1] in "+-" else text
    return len(t) > 1 and t.startswith("0") and t[1:].isdigit() and t.isascii()


def resolve_plain(text: str) -> Any:
    """The value of a plain (unquoted) scalar under serde_yaml 0.9's rules.

    >>> resolve_plain("1e3"), resolve_plain("yes"), resolve_plain("0x1F"), resolve_plain("~")
    (1000.0, 'yes', 31, None)
    """
    if text in ("", "~", "null", "Null", "NULL"):
        return None
    if text in ("true", "True", "TRUE"):
        return True
    if text in ("false", "False", "FALSE"):
        return False
    m = _INT_PREFIXED.fullmatch(text)
    if m:
        try:
            n = int(m.group(3), {"x": 16, "o": 8, "b": 2}[m.group(2)])
            return -n if m.group(1) == "-" else n
        except ValueError:
            pass
    if _INT_DEC.fullmatch(text) and not digits_but_not_number(text):
        n = int(text)
        if -(2**63) <= n < 2**64:
            return n
    if text in _INF:
        return _INF[text]
    if text in _NAN:
        return float("nan")
    if _FLOAT.fullmatch(text) and not digits_but_not_number(text):
        value = float(text)
        if value not in (float("inf"), float("-inf")):
            return value
    return text


def _line(node: yaml.Node) -> int | None:
    mark = getattr(node, "start_mark", None)
    return mark.line + 1 if mark is not None else None


def convert(node: yaml.Node | None, _memo: dict | None = None) -> Any:
    """Turn a composed node into Map / Seq / Scalar values.

    Aliases share one converted value (memoised by node), so an alias bomb
    stays as small as its text and a recursive alias cannot loop forever.
    """
    if node is None:
        return None
    memo = {} if _memo is None else _memo
    if id(node) in memo:
        return memo[id(node)]
    if isinstance(node, yaml.ScalarNode):
        plain = node.style is None or node.style == ""
        value = resolve_plain(node.value) if plain else node.value
        memo[id(node)] = out = Scalar(value, node.value, plain, _line(node))
        return out
    if isinstance(node, yaml.SequenceNode):
        seq = Seq()
        seq.line = _line(node)
        memo[id(node)] = seq
        seq.extend(convert(n, memo) for n in node.value)
        return seq
    out = Map()
    out.line = _line(node)
    out.key_lines = {}
    memo[id(node)] = out
    for knode, vnode in node.value:
        if isinstance(knode, yaml.ScalarNode):
            key = knode.value
        else:  # complex keys never name a field; keep them visible in warnings
            key = f"<{type(knode).__name__} key at line {_line(knode)}>"
        if key in out:
            raise DuplicateKey(key, _line(knode))
        out[key] = convert(vnode, memo)
        out.key_lines[key] = _line(knode)
    return out


def load_documents(text: str):
    """Yield ``(index, value)`` per YAML document; raise ``yaml.YAMLError`` with its mark."""
    # libyaml's C parser when present (same node graph and marks, ~5x faster)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    for index, node in enumerate(yaml.compose_all(text, Loader=loader)):
        yield index, convert(node)


def plain_value(value: Any) -> Any:
    """Strip Scalar / Map / Seq wrappers (for values kept as-is, e.g. error messages)."""
    if isinstance(value, Scalar):
        return value.value
    if isinstance(value, dict):
        return {k: plain_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_value(v) for v in value]
    return value
