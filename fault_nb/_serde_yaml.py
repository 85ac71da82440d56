"""serde_yaml 0.9 (on libyaml) for fault_nb: its plain-scalar rules and its emitter.

One implementation for results.yaml (:mod:`fault_nb.results`) and scenario files
(:mod:`fault_nb.scenarios`); private to the package.

Reading. serde_yaml resolves plain scalars by YAML 1.2-like rules of its own
(``de.rs``: ``visit_untagged_scalar``): empty, ``~`` and ``null``/``Null``/``NULL``
are null; ``true``/``True``/``TRUE`` and the ``false`` forms are bools; integers
(decimal, ``0x``/``0o``/``0b``, an optional sign) within i128/u128; floats in
Rust's f64 grammar when finite, plus ``.inf``/``.nan`` spellings; everything else
is a string, including ``yes``, ``1_000``, dates, ``1:20`` and digits with a
leading zero (``017``). :func:`resolve_plain` is that resolver; the scenario
loader calls it per scalar and :func:`serde_like_loader` wires its parts into a
PyYAML loader for results.yaml.

Writing. serde_yaml picks a string's style in two steps: a string its own reader
would take for null/bool/int/float is single-quoted (since serde_yaml 0.9.25, so is
one of digits with a leading zero, ``'017'``); a string with a newline asks for a
literal block; anything else lets libyaml choose plain, single- or double-quoted
(``yaml_emitter_analyze_scalar``). libyaml escapes, in double quotes with
upper-case hex, every character it cannot print raw: C0/C1 controls but
``\\n``, DEL, the BOM, lone surrogates and everything outside the BMP (emoji
become ``\\U0001F3AF``). Line width is unlimited (serde_yaml sets -1), floats
are ryu's (:mod:`fault_nb._ryu`), block style, 2-space indent, sequences under
a key not indented, ``{}``/``[]`` for empty collections.

Details that follow libyaml/serde_yaml exactly: characters outside the BMP are escaped (not written raw), a
top-level literal block is indented by 2 as libyaml does, integers up to
i128/u128 stay integers (and hex beyond u128 stays a string), non-string keys
are written as the scalars they are (``200: x``, not ``'200': x``), and a
string of digits with a leading zero is quoted (``'017'``), as serde_yaml does
since 0.9.25 (``visit_str`` checks ``digits_but_not_number``; fault 0.12 builds
with the last 0.9 release). Older releases wrote it plain; both read back as the
same string.

Not emulated (rare in fault's files; said here so nobody relies on it): keys longer than 128
characters, which libyaml writes as ``? key`` complex keys, and the ``...``
document end libyaml adds after a trailing ``|+`` block at the end of a stream.

>>> print(dumps_yaml({"a": [1, {"b": 2.0}], "c": {}, "d": "yes", "e": "1e3", "n": "017"}), end="")
a:
- 1
- b: 2.0
c: {}
d: yes
e: '1e3'
n: '017'
>>> resolve_plain("1e3"), resolve_plain("yes"), resolve_plain("0x1F"), resolve_plain("~"), resolve_plain("017")
(1000.0, 'yes', 31, None, '017')
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from ._ryu import ryu_f64

__all__ = ["BOOLS", "NULLS", "Tagged", "digits_but_not_number", "dumps_yaml", "format_f64", "is_non_string",
           "parse_f64", "parse_int", "resolve_plain", "serde_like_loader", "yaml_string"]

# ------------------------------------------------------------------ plain scalars as serde_yaml reads them

NULLS = frozenset(("", "~", "null", "Null", "NULL"))
BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_RADIX = (("0x", 16, "0123456789abcdefABCDEF"), ("0o", 8, "01234567"), ("0b", 2, "01"))
_RUST_F64 = re.compile(r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|(?i:inf|infinity|nan))\Z")
_U128, _I128 = 1 << 128, 1 << 127
# a plain scalar starting with anything else is a string (null, bool and number forms all start so)
_NOT_STRING_START = frozenset("~nNtTfF+-.0123456789")


def digits_but_not_number(s: str) -> bool:
    """serde_yaml keeps ``0123`` a string (a leading zero is not a YAML 1.2 integer)."""
    body = s[1:] if s[:1] in ("+", "-") else s
    return len(body) > 1 and body[0] == "0" and body[1:].isascii() and body[1:].isdigit()


def parse_int(s: str) -> int | None:
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
    if digits_but_not_number(s) or not rest or not rest.isascii() or not rest.isdigit():
        return None
    value = sign * int(rest)
    return value if -_I128 <= value < _U128 else None


def parse_f64(s: str) -> float | None:
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


def resolve_plain(text: str) -> Any:
    """The value of a plain (unquoted) scalar under serde_yaml 0.9's rules.

    >>> resolve_plain("2025-06-16"), resolve_plain("+5"), resolve_plain("1e400"), resolve_plain("")
    ('2025-06-16', 5, '1e400', None)
    """
    if text[:1] not in _NOT_STRING_START and text:
        return text
    if text in NULLS:
        return None
    if text in BOOLS:
        return BOOLS[text]
    value = parse_int(text)
    if value is not None:
        return value
    if not digits_but_not_number(text):
        value = parse_f64(text)
        if value is not None:
            return value
    return text


def is_non_string(s: str) -> bool:
    """True when serde_yaml would read the plain scalar ``s`` as null, bool or a number."""
    return not isinstance(resolve_plain(s), str)


# ------------------------------------------------------------------ a PyYAML loader that reads like serde_yaml


def _construct_int(loader, node):
    text = loader.construct_scalar(node)
    value = parse_int(text)
    if value is None:  # beyond i128/u128: serde_yaml falls back to f64
        value = parse_f64(text)
    return text if value is None else value


def _construct_float(loader, node):
    text = loader.construct_scalar(node)
    if digits_but_not_number(text):
        return text  # "017": YAML 1.2 says string
    value = parse_f64(text)
    return text if value is None else value  # "1e400" overflows: serde_yaml keeps the string


def _construct_bool(loader, node):
    return BOOLS[loader.construct_scalar(node)]


def serde_like_loader(base):
    """A subclass of a PyYAML loader whose implicit scalars follow serde_yaml's rules.

    The implicit resolvers only pre-select candidates; the values come from
    :func:`parse_int` / :func:`parse_f64` (for plain scalars: :func:`resolve_plain`).
    """

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


# ------------------------------------------------------------------ the emitter


@dataclass(frozen=True)
class Tagged:
    """A value serde_yaml writes with a local tag: a variant of an externally tagged enum.

    ``Tagged("HTTPMethodError", "DELETE ALL")`` is written ``!HTTPMethodError DELETE ALL``;
    a non-empty sequence value goes on the following lines, indented.
    """

    tag: str
    value: Any


def yaml_string(s: str, indent: str = "", *, key: bool = False) -> list[str]:
    """The lines of one string scalar; ``indent`` is where a literal block's content goes."""
    if s == "":
        return ["''"]
    plain, single, block = _styles(s)
    if is_non_string(s) or digits_but_not_number(s):
        return [_single_quoted(s) if single else _double_quoted(s)]
    if "\n" in s:
        return _literal(s, indent) if block and not key else [_double_quoted(s)]
    if plain:
        return [s]
    return [_single_quoted(s) if single else _double_quoted(s)]


def format_f64(value: float) -> str:
    """A float as serde_yaml writes it: ryu, or ``.inf``/``-.inf``/``.nan``.

    >>> [format_f64(v) for v in (800.0, 0.05, 1e16, 1e-7, 0.00001, 123456.789, float("-inf"))]
    ['800.0', '0.05', '1e16', '1e-7', '0.00001', '123456.789', '-.inf']
    """
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    return ryu_f64(value)


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
        return [format_f64(o)]
    item = getattr(o, "item", None)  # numpy scalars
    if item is not None:
        return _scalar(item(), indent)
    raise TypeError(f"cannot encode {type(o).__name__} as YAML")


def _key(k: Any) -> str:
    if not isinstance(k, str):
        if k is None or isinstance(k, (bool, int, float)):
            return _scalar(k)[0]  # a non-string key is written as the scalar it is
        k = str(k)
    return yaml_string(k, key=True)[0]


def dumps_yaml(data: Any) -> str:
    """One document in serde_yaml 0.9's block style (with a trailing newline).

    >>> print(dumps_yaml({"body": "line 1\\nline 2", "t": "\U0001f3af", "j": '{"a":1}'}), end="")
    body: |-
      line 1
      line 2
    t: "\\U0001F3AF"
    j: '{"a":1}'
    >>> print(dumps_yaml({"errors": [Tagged("HTTPError", "bad header"), Tagged("ReadError", ["p", "m"])]}), end="")
    errors:
    - !HTTPError bad header
    - !ReadError
      - p
      - m
    """
    lines: list[str] = []

    def block(o: Any, indent: str) -> None:
        if isinstance(o, dict):
            for k, v in o.items():
                key = _key(k)
                if isinstance(v, Tagged):
                    tagged(f"{indent}{key}: ", v, indent + "  ", under_key=True)
                elif isinstance(v, dict) and v:
                    lines.append(f"{indent}{key}:")
                    block(v, indent + "  ")
                elif isinstance(v, (list, tuple)) and v:
                    lines.append(f"{indent}{key}:")
                    block(v, indent)  # sequences under a key are not indented
                else:
                    leaf(f"{indent}{key}: ", v, indent + "  ")
        else:
            for v in o:
                if isinstance(v, Tagged):
                    tagged(f"{indent}- ", v, indent + "  ", under_key=False)
                elif isinstance(v, (dict, list, tuple)) and v:
                    start = len(lines)
                    block(v, indent + "  ")
                    lines[start] = f"{indent}- " + lines[start][len(indent) + 2:]
                else:
                    leaf(f"{indent}- ", v, indent + "  ")

    def tagged(prefix: str, t: Tagged, content_indent: str, *, under_key: bool) -> None:
        # libyaml writes the tag, then a non-empty collection on the next lines, one level in
        if isinstance(t.value, (dict, list, tuple)) and t.value:
            lines.append(f"{prefix}!{t.tag}")
            # a sequence that is a mapping's value is not indented, tagged or not
            block(t.value, content_indent[:-2] if under_key and not isinstance(t.value, dict) else content_indent)
        else:
            leaf(f"{prefix}!{t.tag} ", t.value, content_indent)

    def leaf(prefix: str, v: Any, content_indent: str) -> None:
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
        leaf("", data, "  ")
    return "\n".join(lines) + "\n"
