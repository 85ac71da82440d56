"""Read YAML the way fault's serde_yaml 0.9 does, keeping line numbers.

PyYAML resolves plain scalars by YAML 1.1 rules (``yes`` is a bool, ``1e3``
is a string); serde_yaml uses the 1.2 core rules. We compose the node graph
with PyYAML and resolve every plain scalar with serde_yaml's rules
(``fault_nb._serde_yaml.resolve_plain``, shared with the results.yaml loader), so
a value means the same to fault and to us, and every value remembers its line
for errors.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from .._serde_yaml import resolve_plain


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
