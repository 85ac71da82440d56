"""serde_yaml 0.9 (libyaml emitter) for results.yaml, and a loader that reads like it.

serde_yaml decides a string's style in two steps: a string its own reader would
take for null/bool/int/float is single-quoted, a multi-line string asks for a
literal block, anything else lets libyaml pick plain, single- or
double-quoted. libyaml escapes what it cannot print raw, which includes every
character outside the BMP (emoji), in double quotes with upper-case hex.
Line width is unlimited (serde_yaml sets it to -1), so nothing is folded.

The loader mirrors the reading side: YAML 1.2-style scalars (``yes``, ``017``,
``1_000``, dates and ``1:20`` stay strings), as serde_yaml reads them.

>>> print(dumps_yaml({"a": [1, {"b": 2.0}], "c": {}, "d": "yes", "e": "1e3"}), end="")
a:
- 1
- b: 2.0
c: {}
d: yes
e: '1e3'
"""
from __future__ import annotations

import math
import re
from typing import Any

from ._serde import ryu_f64, strip_omitted

# ------------------------------------------------------------------ what serde_yaml reads as non-strings

_NULLS = frozenset(("~", "null", "Null", "NULL"))
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_RADIX = (("0x", 16, "0123456789abcdefABCDEF"), ("0o", 8, "01234567"), ("0b", 2, "01"))
_RUST_F64 = re.compile(r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|(?i:inf|infinity|nan))\Z")
_U128, _I128 = 1 << 128, 1 << 127


def _digits_but_not_number(s: str) -> bool:
    body = s[1:] if s[:1] in ("+", "-") else s
    return len(body) > 1 and body[0] == "0" and body[1:].isascii() and body[1:].isdigit()


def _rust_int(s: str) -> int | None:
    """serde_yaml's parse_unsigned_int / parse_negative_int (u128/i128 range)."""
    if s.startswith("-"):
        rest, sign = s[1:], -1
    else:
        rest, sign = (s[1:] if s.startswith("+") else s), 1
        if rest[:1] in ("+", "-"):
            return None
    for prefix, radix, digits in _RADIX:
        if rest.startswith(prefix):
            body = rest[2:]
            if body and all(c in digits for c in body):
                value = sign * int(body, radix)
                return value if -_I128 <= value < _U128 else None
            return None
    if _digits_but_not_number(s) or not rest or not rest.isascii() or not rest.isdigit():
        return None
    value = sign * int(rest)
    return value if -_I128 <= value < _U128 else None


def _rust_f64(s: str) -> float | None:
    """serde_yaml's parse_f64: YAML's .inf/.nan spellings, else Rust's f64 grammar if finite."""
    unpositive = s
    if s.startswith("+"):
        unpositive = s[1:]
        if unpositive[:1] in ("+", "-"):
            return None
    if unpositive in (".inf", ".Inf", ".INF"):
        return math.inf
    if s in ("-.inf", "-.Inf", "-.INF"):
        return -math.inf
    if s in (".nan", ".NaN", ".NAN"):
        return math.nan
    if _RUST_F64.match(unpositive):
        value = float(unpositive)
        return value if math.isfinite(value) else None
    return None


def serde_non_string(s: str) -> bool:
    """True when serde_yaml would read the plain scalar ``s`` as null, bool or a number."""
    if s == "" or s in _NULLS or s in _BOOLS:
        return True
    if _rust_int(s) is not None:
        return True
    return not _digits_but_not_number(s) and _rust_f64(s) is not None


# ------------------------------------------------------------------ libyaml's scalar analysis

# libyaml's IS_PRINTABLE (with unicode output): no C0/C1 controls but '\n', no BOM,
# no surrogates, nothing outside the BMP. U+2028/U+2029 are printable line breaks to
# libyaml; they are escaped here so that every YAML reader gets the same text back.
_SPECIAL = re.compile("[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]")
_BLANK = "[ \t\r\n\x85\u2028\u2029]"
_BLOCK_INDICATOR = re.compile(
    r"\A(?:---|\.\.\.)|\A[#,\[\]{}&*!|>'\"%@`]|\A[?\-](?:" + _BLANK + r"|\Z)|:(?:" + _BLANK + r"|\Z)|"
    + _BLANK + "#"
)


def _styles(s: str) -> tuple[bool, bool, bool]:
    """(plain, single-quoted, literal block) allowed in block context, as libyaml decides."""
    special = _SPECIAL.search(s) is not None
    space_break = " \n" in s
    if special or space_break:
        return False, False, False
    break_space = "\n " in s
    edge = s[0] in " \n" or s[-1] in " \n"
    plain = not (edge or break_space or "\n" in s or _BLOCK_INDICATOR.search(s))
    return plain, not break_space, s[-1] != " "


_ESCAPES = {"\0": "0", "\a": "a", "\b": "b", "\t": "t", "\n": "n", "\v": "v", "\f": "f", "\r": "r",
            "\x1b": "e", '"': '"', "\\": "\\", "\x85": "N", "\xa0": "_", "\u2028": "L", "\u2029": "P"}
_DQ_ESCAPE = re.compile("[^\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]|[\"\\\\]")


def _dq_char(m: re.Match) -> str:
    c = m.group(0)
    if c in _ESCAPES:
        return "\\" + _ESCAPES[c]
    cp = ord(c)
    if cp <= 0xFF:
        return f"\\x{cp:02X}"
    if cp <= 0xFFFF:
        return f"\\u{cp:04X}"
    return f"\\U{cp:08X}"


def _double_quoted(s: str) -> str:
    return '"' + _DQ_ESCAPE.sub(_dq_char, s) + '"'


def _single_quoted(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _literal(s: str, indent: str) -> list[str]:
    """A literal block: header line then content lines (empty lines carry no indent)."""
    header = "|"
    if s[0] in " \n":
        header += "2"  # libyaml's best_indent as the indentation indicator
    if not s.endswith("\n"):
        header += "-"
    elif s == "\n" or s.endswith("\n\n"):
        header += "+"
    body = s[:-1] if s.endswith("\n") else s
    return [header] + [indent + line if line else "" for line in body.split("\n")]


def yaml_string(s: str, indent: str = "", *, key: bool = False) -> list[str]:
    """The lines of one string scalar; ``indent`` is where a literal block's content goes."""
    if s == "":
        return ["''"]
    plain, single, block = _styles(s)
    if serde_non_string(s):
        return [_single_quoted(s) if single else _double_quoted(s)]
    if "\n" in s:
        return _literal(s, indent) if block and not key else [_double_quoted(s)]
    if plain:
        return [s]
    return [_single_quoted(s) if single else _double_quoted(s)]


def _scalar(o: Any, indent: str = "") -> list[str]:
    if o is None:
        return ["null"]
    if o is True:
        return ["true"]
    if o is False:
        return ["false"]
    if isinstance(o, str):
        return yaml_string(o, indent)
    if isinstance(o, int):
        return [int.__repr__(o)]
    if isinstance(o, float):
        if math.isnan(o):
            return [".nan"]
        if math.isinf(o):
            return [".inf" if o > 0 else "-.inf"]
        return [ryu_f64(o)]
    item = getattr(o, "item", None)  # numpy scalars
    if item is not None:
        return _scalar(item(), indent)
    raise TypeError(f"cannot encode {type(o).__name__} as YAML")


def dumps_yaml(data: Any) -> str:
    """serde_yaml 0.9's block style: 2-space indent, sequences under a key not indented.

    >>> print(dumps_yaml({"body": "line 1\\nline 2", "t": "\U0001f3af"}), end="")
    body: |-
      line 1
      line 2
    t: "\\U0001F3AF"
    """
    lines: list[str] = []

    def block(o: Any, indent: str) -> None:
        if isinstance(o, dict):
            for k, v in o.items():
                key_lines = yaml_string(str(k), key=True)
                key = key_lines[0]
                if isinstance(v, dict) and v:
                    lines.append(f"{indent}{key}:")
                    block(v, indent + "  ")
                elif isinstance(v, (list, tuple)) and v:
                    lines.append(f"{indent}{key}:")
                    block(v, indent)
                else:
                    _leaf(f"{indent}{key}: ", v, indent + "  ")
        else:
            for v in o:
                if isinstance(v, (dict, list, tuple)) and v:
                    start = len(lines)
                    block(v, indent + "  ")
                    lines[start] = f"{indent}- " + lines[start][len(indent) + 2:]
                else:
                    _leaf(f"{indent}- ", v, indent + "  ")

    def _leaf(prefix: str, v: Any, content_indent: str) -> None:
        if isinstance(v, dict):
            lines.append(prefix + "{}")
        elif isinstance(v, (list, tuple)):
            lines.append(prefix + "[]")
        else:
            first, *rest = _scalar(v, content_indent)
            lines.append(prefix + first)
            lines.extend(rest)

    if isinstance(data, (dict, list, tuple)) and data:
        block(data, "")
    else:
        _leaf("", data, "  ")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ reading like serde_yaml


def _construct_int(loader, node):
    text = loader.construct_scalar(node)
    value = _rust_int(text)
    if value is None:  # beyond i128/u128: serde_yaml falls back to f64
        value = _rust_f64(text)
    return text if value is None else value


def _construct_float(loader, node):
    text = loader.construct_scalar(node)
    if _digits_but_not_number(text):
        return text  # "017": YAML 1.2 says string
    value = _rust_f64(text)
    return text if value is None else value  # "1e400" overflows: serde_yaml keeps the string


def _construct_bool(loader, node):
    return _BOOLS[loader.construct_scalar(node)]


def serde_like_loader(base):
    """A subclass of a PyYAML loader whose implicit scalars follow serde_yaml's rules."""

    class Loader(base):  # type: ignore[misc, valid-type]
        pass

    first_chars = list("-+0123456789.")
    Loader.yaml_implicit_resolvers = {}
    Loader.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"\A(?:~|null|Null|NULL|)\Z"),
                                 ["~", "n", "N", ""])
    Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"\A(?:true|True|TRUE|false|False|FALSE)\Z"),
                                 list("tTfF"))
    Loader.add_implicit_resolver(
        "tag:yaml.org,2002:int",
        re.compile(r"\A[-+]?(?:0x[0-9a-fA-F]+|0o[0-7]+|0b[01]+|0|[1-9][0-9]*)\Z"), first_chars)
    Loader.add_implicit_resolver(
        "tag:yaml.org,2002:float",
        re.compile(r"\A(?:[-+]?(?:\.inf|\.Inf|\.INF)|\.nan|\.NaN|\.NAN|"
                   r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)\Z"),
        first_chars)
    Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
    Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)
    Loader.add_constructor("tag:yaml.org,2002:bool", _construct_bool)
    return Loader


def dumps_results_yaml(data: dict) -> str:
    """Encode a ScenariosResults dict as fault writes results.yaml (serde_yaml 0.9).

    >>> dumps_results_yaml({"start": 1, "end": 2, "results": []})
    'start: 1\\nend: 2\\nresults: []\\n'
    """
    return dumps_yaml(strip_omitted(data))
