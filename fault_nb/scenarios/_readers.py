"""Typed readers for scenario validation: each reads one field the way serde does.

They accept both parsed YAML (:mod:`._yamlread` wrappers with lines) and plain
Python values, and raise :class:`~fault_nb.errors.ScenarioFormatError` with the
field path (and YAML line) on a bad value.

The same readers check the scenarios embedded in a results file
(:mod:`fault_nb.results.validate`) through a ``_Ctx(..., results=True)``: that
mode reads JSON the way serde_json does (no scalar-to-string coercion), raises
the results error class with its wording, fills the lists fault omits when empty
in place (spec A.5), and leaves out the checks that only warn users about what
fault accepts silently (float ranges, unknown keys, warnings).
"""
from __future__ import annotations

import difflib
import math
from typing import Any, Callable

from ..errors import ScenarioFormatError, _json_path
from . import _yamlread as yr


class _Ctx:
    """Where and how to check: ``results=True`` is the mode for a results file's scenarios.

    ``error`` is the InputFileError subclass raised, built as
    ``error(file, path, problem, expected=...)``; ``describe`` words a bad value.
    """

    def __init__(self, file: str, lenient: bool = False, *, results: bool = False,
                 error: Callable[..., Exception] = ScenarioFormatError,
                 describe: Callable[[Any], str] | None = None):
        self.file = file
        self.lenient = lenient or results
        self.results = results
        self.error = error
        self.describe = describe or _describe
        self.warnings: list[str] = []
        self.python_warnings: list[str] = []

    def fail(self, path, problem, value=None, expected=None):
        line = _line(value)
        if line:
            problem = f"{problem} (line {line})"
        raise self.error(self.file, list(path), problem, expected=expected)

    def warn(self, path, message, *, loud=True):
        if self.results:
            return  # a results file is fault's own output: nothing to tell the user about it
        text = f"{self.file}: {_json_path(list(path))}: {message}"
        self.warnings.append(text)
        if loud:
            self.python_warnings.append(text)


_MISSING = object()


def _line(value) -> int | None:
    return getattr(value, "line", None)


_Scalar = yr.Scalar


def _unwrap(value):
    return value.value if isinstance(value, _Scalar) else value


def _describe(value) -> str:
    v = _unwrap(value)
    if isinstance(value, yr.Scalar) and value.plain and value.raw == "":
        return "an empty value"
    if v is None:
        return "null"
    if isinstance(v, bool):
        return f"the boolean {str(v).lower()}"
    if isinstance(v, (int, float)):
        return "the number " + (value.raw if isinstance(value, yr.Scalar) else repr(v))
    if isinstance(v, str):
        return f"the string {v!r}"
    if isinstance(v, dict):
        return "a mapping"
    if isinstance(v, (list, tuple)):
        return "a list"
    return type(v).__name__


def _is_null(value) -> bool:
    if value is None or value is _MISSING:
        return True
    return isinstance(value, _Scalar) and value.value is None


# ---- typed readers ---------------------------------------------------------------
# Each starts with a fast path for a plain value of the right type (a results file
# has thousands of items); anything else takes the full path, which words the error.

def _mapping(ctx, value, path, what="a mapping") -> dict:
    if type(value) is dict:
        return value
    if not isinstance(_unwrap(value), dict):
        ctx.fail(path, f"got {ctx.describe(value)}", value, expected=what)
    return value


def _fields(ctx, m: dict, path, known: tuple[str, ...]) -> None:
    """fault ignores unknown keys; we do too, but tell the user (typos)."""
    if ctx.results:
        return
    for key in m:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known keys: {', '.join(known)}"
            ctx.warn([*path, key], f"unknown key ignored (fault ignores it too){hint}")


def _get(m: dict, key: str):
    return m.get(key, _MISSING)


def _required(ctx, m, key, path):
    value = _get(m, key)
    if value is _MISSING:
        ctx.fail([*path, key], "missing required key", m)
    if _is_null(value):
        ctx.fail([*path, key], f"must not be {ctx.describe(value)}", value)
    return value


def _str(ctx, m, key, path, *, required=False, what="a string"):
    value = m.get(key, _MISSING)
    if type(value) is str:
        return value
    if value is _MISSING and not required:
        return None
    value = _required(ctx, m, key, path) if required else _get(m, key)
    return _text(ctx, value, [*path, key], what)


def _text(ctx, value, path, what="a string"):
    """A string value; serde_yaml reads any plain scalar as its text (``x-retry: 3`` -> "3")."""
    if _is_null(value):
        return None
    v = _unwrap(value)
    if isinstance(v, str):
        return v
    if ctx.results:  # serde_json reads no number or boolean as a string
        ctx.fail(path, f"got {ctx.describe(value)}", value, expected=what)
    if isinstance(value, yr.Scalar):
        return value.raw
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float) and math.isfinite(v):
        return repr(v)
    ctx.fail(path, f"got {ctx.describe(value)}", value, expected=what)


def _f64(ctx, m, key, path, *, required=False, minimum=None, maximum=None, what="a number"):
    value = m.get(key, _MISSING)
    if type(value) is float and value - value == 0.0 and (
            ctx.results or ((minimum is None or value >= minimum) and (maximum is None or value <= maximum))):
        return value
    if value is _MISSING and not required:
        return None
    value = _required(ctx, m, key, path) if required else _get(m, key)
    if _is_null(value):
        return None
    v = _unwrap(value)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        ctx.fail([*path, key], f"got {ctx.describe(value)}", value, expected=what)
    v = float(v)
    if not math.isfinite(v):
        ctx.fail([*path, key], f"got {ctx.describe(value)}", value, expected=f"a finite number ({what})")
    if not ctx.results:  # fault takes any finite f64; the bounds are advice for files users write
        _range(ctx, path, key, value, v, minimum, maximum, what)
    return v


def _int(ctx, m, key, path, *, required=False, minimum=0, maximum=2**64 - 1, what="an integer"):
    value = m.get(key, _MISSING)
    if type(value) is int and (minimum is None or value >= minimum) and (maximum is None or value <= maximum):
        return value
    if value is _MISSING and not required:
        return None
    value = _required(ctx, m, key, path) if required else _get(m, key)
    if _is_null(value):
        return None
    v = _unwrap(value)
    if isinstance(v, bool) or not isinstance(v, int):
        # serde refuses 800.0 for an integer field, and so do we
        ctx.fail([*path, key], f"got {ctx.describe(value)}", value, expected=what)
    _range(ctx, path, key, value, v, minimum, maximum, what)
    return int(v)


def _range(ctx, path, key, value, v, minimum, maximum, what):
    if minimum is not None and v < minimum:
        ctx.fail([*path, key], f"{v!r} is below {minimum}", value, expected=what)
    if maximum is not None and v > maximum:
        ctx.fail([*path, key], f"{v!r} is above {maximum}", value, expected=what)


def _bool(ctx, m, key, path, *, required=False):
    value = m.get(key, _MISSING)
    if type(value) is bool:
        return value
    if value is _MISSING and not required:
        return None
    value = _required(ctx, m, key, path) if required else _get(m, key)
    if _is_null(value):
        return None
    v = _unwrap(value)
    if not isinstance(v, bool):
        ctx.fail([*path, key], f"got {ctx.describe(value)}", value, expected="true or false")
    return v


def _list(ctx, m, key, path, *, required=False):
    """A list; an empty plain value (``faults:``) reads as [] like serde_yaml, ``null`` does not."""
    value = _get(m, key)
    if type(value) is list:
        return value
    if required and value is _MISSING and ctx.lenient:
        if ctx.results:
            m[key] = []  # filled in place: a results file is kept as read
        return []  # fault omits empty lists when it writes results.json (spec A.5)
    if isinstance(value, yr.Scalar) and value.plain and value.raw == "":
        return [] if required else None
    if value is _MISSING or (not required and _is_null(value)):
        if required:
            ctx.fail([*path, key], "missing required key (use [] for none)", m)
        return None
    if not isinstance(_unwrap(value), (list, tuple)):
        ctx.fail([*path, key], f"got {ctx.describe(value)}", value, expected="a list")
    return list(value)


def _strmap(ctx, m, key, path):
    value = _get(m, key)
    if _is_null(value):
        return None
    _mapping(ctx, value, [*path, key], "a mapping of names to strings")
    out = {}
    for k, v in value.items():
        if isinstance(_unwrap(v), (dict, list, tuple)) or _is_null(v):
            ctx.fail([*path, key, k], f"got {ctx.describe(v)}", v, expected="a string")
        out[str(k)] = _str(ctx, value, k, [*path, key])
    return out


def _choice(ctx, m, key, path, choices, *, required=False, fold=False, what=None):
    text = _str(ctx, m, key, path, required=required)
    if text is None:
        return None
    probe = text.lower() if fold else text
    if probe not in choices:
        lowered = {c.lower(): c for c in choices}
        close = difflib.get_close_matches(text.lower(), list(lowered), n=1, cutoff=0.6)
        hint = f"; did you mean {lowered[close[0]]!r}?" if close else ""
        ctx.fail([*path, key], f"unknown value {text!r}{hint}", _get(m, key),
                 expected=what or "one of " + ", ".join(choices) + (" (any case)" if fold else ""))
    return text


def _put(out: dict, key: str, value) -> None:
    if value is not None:
        out[key] = value
