"""Example values for OpenAPI schemas: fault's empty placeholders and minimal valid values.

:func:`fault_sample` reproduces fault's body synthesis (every property, empty
values); :func:`valid_sample` builds the smallest value valid against the
schema (required properties, enum/const/default/examples, formats, bounds,
patterns), following ``$ref`` with cycle protection. :func:`compact_json` writes JSON the
way serde_json's compact writer does.

>>> compact_json(valid_sample(OpenAPI({"openapi": "3.1.0"}), {"type": "object", "required": ["n"],
...     "properties": {"n": {"type": "integer", "minimum": 3}}}))
'{"n":3}'
"""
from __future__ import annotations

import json
import math
import re
from typing import Any

try:  # Python 3.11+
    from re import _constants as _sc, _parser as _sp
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as _sc  # type: ignore[no-redef]
    import sre_parse as _sp  # type: ignore[no-redef]

from .openapi import OpenAPI, as_dict, as_list
from .yamlout import format_f64

__all__ = ["compact_json", "fault_sample", "valid_sample"]


def _ref_of(schema: Any) -> str | None:
    ref = schema.get("$ref") if isinstance(schema, dict) else None
    return ref if isinstance(ref, str) else None


def compact_json(value: Any, *, sort_keys: bool = False) -> str:
    """serde_json's compact form (ryu floats, raw non-ASCII), keys sorted on request."""
    if isinstance(value, float):
        return format_f64(value) if math.isfinite(value) else "null"
    if isinstance(value, dict):
        items = sorted(value.items()) if sort_keys else value.items()
        return "{" + ",".join(json.dumps(str(k), ensure_ascii=False) + ":" + compact_json(v, sort_keys=sort_keys)
                              for k, v in items) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(compact_json(v, sort_keys=sort_keys) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def fault_sample(api: OpenAPI, schema: Any, seen: frozenset = frozenset()) -> Any:
    """fault's synthesised body: first allOf/oneOf/anyOf, else every property with an empty value."""
    ref = _ref_of(schema)
    if ref is not None:
        if ref in seen:  # fault would recurse forever; we stop with an empty object
            return {}
        seen = seen | {ref}
    schema = api.deref(schema)
    if not isinstance(schema, dict):
        return None
    for key in ("allOf", "oneOf", "anyOf"):
        if isinstance(schema.get(key), list) and schema[key]:
            return fault_sample(api, schema[key][0], seen)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = kind[0] if kind else None
    simple = {"string": "", "integer": 0, "number": 0.0, "boolean": False, "array": [], "null": None}
    if isinstance(kind, str) and kind in simple:
        return simple[kind]
    props = as_dict(schema.get("properties"))
    return {name: fault_sample(api, props[name], seen) for name in sorted(props)}


_CAP = 64  # largest minItems we honour (minLength: 64x that)

_FORMATS = {
    "date-time": "2024-01-01T00:00:00Z", "date": "2024-01-01", "time": "12:00:00",
    "email": "user@example.com", "idn-email": "user@example.com", "uri": "https://example.com/",
    "url": "https://example.com/", "iri": "https://example.com/", "uri-reference": "/example",
    "hostname": "example.com", "idn-hostname": "example.com", "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1", "uuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6", "byte": "ZXhhbXBsZQ==",
    "binary": "example", "password": "s3cret-Passw0rd", "duration": "PT1M", "regex": ".*",
    "json-pointer": "/example",
}


def _merge_all_of(api: OpenAPI, schema: dict, seen: frozenset) -> dict:
    merged: dict = {k: v for k, v in schema.items() if k != "allOf"}
    props = dict(as_dict(merged.get("properties")))
    required = [r for r in as_list(merged.get("required")) if isinstance(r, str)]
    for part in as_list(schema.get("allOf")):
        ref = _ref_of(part)
        if ref in seen:
            continue
        part = api.deref(part)
        if not isinstance(part, dict):
            continue
        if "allOf" in part:
            part = _merge_all_of(api, part, seen | ({ref} if ref else set()))
        for k, v in part.items():
            if k == "properties" and isinstance(v, dict):
                props.update(v)
            elif k == "required" and isinstance(v, list):
                required += [r for r in v if isinstance(r, str) and r not in required]
            else:
                merged.setdefault(k, v)
    if props:
        merged["properties"] = props
    if required:
        merged["required"] = required
    return merged


def _number(schema: dict, integer: bool) -> int | float:
    lo, hi = schema.get("minimum"), schema.get("maximum")
    ex_lo, ex_hi = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    step = 1 if integer else 0.5
    if ex_lo is True and lo is not None:      # OpenAPI 3.0 boolean form
        lo, ex_lo = None, lo
    if ex_hi is True and hi is not None:
        hi, ex_hi = None, hi
    low = lo if isinstance(lo, (int, float)) and not isinstance(lo, bool) else None
    if isinstance(ex_lo, (int, float)) and not isinstance(ex_lo, bool):
        low = max(low, ex_lo + step) if low is not None else ex_lo + step
    high = hi if isinstance(hi, (int, float)) and not isinstance(hi, bool) else None
    if isinstance(ex_hi, (int, float)) and not isinstance(ex_hi, bool):
        high = min(high, ex_hi - step) if high is not None else ex_hi - step
    value = 1
    if low is not None and value < low:
        value = math.ceil(low) if integer else low
    if high is not None and value > high:
        value = math.floor(high) if integer else high
    if not integer and low is not None and high is not None and low > high:
        # an open interval narrower than the step (gt=0.5, lt=0.7): its midpoint
        lower = [b for b in (lo, ex_lo) if isinstance(b, (int, float)) and not isinstance(b, bool)]
        upper = [b for b in (hi, ex_hi) if isinstance(b, (int, float)) and not isinstance(b, bool)]
        value = (max(lower) + min(upper)) / 2
    mult = schema.get("multipleOf")
    if isinstance(mult, (int, float)) and not isinstance(mult, bool) and mult > 0:
        value = math.ceil(value / mult) * mult
        if high is not None and value > high:
            value -= mult
    return int(value) if integer else float(value)


def _string(schema: dict) -> str:
    text = _FORMATS.get(str(schema.get("format", "")).lower(), "example")
    min_len, max_len = schema.get("minLength"), schema.get("maxLength")
    if isinstance(min_len, int) and len(text) < min_len:
        text += "x" * (min(min_len, _CAP * 64) - len(text))
    if isinstance(max_len, int) and len(text) > max_len:
        text = text[:max_len]
    pattern = schema.get("pattern")
    if isinstance(pattern, str) and not _matches(pattern, text):
        text = _from_pattern(pattern, min_len if isinstance(min_len, int) else 0,
                             max_len if isinstance(max_len, int) else None) or text
    return text


def _matches(pattern: str, text: str) -> bool:
    try:
        return re.search(pattern, text) is not None  # JSON Schema patterns are not anchored
    except (re.error, RecursionError):
        return True  # a pattern we cannot read: keep the value rather than guess


_POOL = "a0A_-x. "


def _name(const: Any) -> str:
    """The name of an sre constant (``CATEGORY_DIGIT``), whatever str() gives on this Python."""
    return str(getattr(const, "name", const))


def _in_set(ch: str, items: list) -> bool:
    o = ord(ch)
    for op, av in items:
        if op is _sc.LITERAL and o == av or op is _sc.RANGE and av[0] <= o <= av[1]:
            return True
        if op is _sc.CATEGORY and re.fullmatch(_CATEGORY_RE.get(_name(av), "(?!)"), ch):
            return True
    return False


_CATEGORY_RE = {"CATEGORY_DIGIT": r"\d", "CATEGORY_NOT_DIGIT": r"\D", "CATEGORY_WORD": r"\w",
                "CATEGORY_NOT_WORD": r"\W", "CATEGORY_SPACE": r"\s", "CATEGORY_NOT_SPACE": r"\S"}
_CATEGORY_CHAR = {"CATEGORY_DIGIT": "0", "CATEGORY_NOT_DIGIT": "a", "CATEGORY_WORD": "a",
                  "CATEGORY_NOT_WORD": "-", "CATEGORY_SPACE": " ", "CATEGORY_NOT_SPACE": "a"}


def _set_char(items: list) -> str:
    if items and items[0][0] is _sc.NEGATE:
        rest = items[1:]
        return next((ch for ch in _POOL if not _in_set(ch, rest)), "")
    for op, av in items:
        if op is _sc.LITERAL:
            return chr(av)
        if op is _sc.RANGE:
            return chr(av[0])
        if op is _sc.CATEGORY and _name(av) in _CATEGORY_CHAR:
            return _CATEGORY_CHAR[_name(av)]
    raise ValueError("unsupported character set")


def _regex_text(items: Any, boost: int) -> str:
    out = []
    for op, av in items:
        if op is _sc.LITERAL:
            out.append(chr(av))
        elif op is _sc.NOT_LITERAL:
            out.append("a" if av != ord("a") else "b")
        elif op is _sc.ANY:
            out.append("a")
        elif op is _sc.IN:
            out.append(_set_char(av))
        elif op in (_sc.MAX_REPEAT, _sc.MIN_REPEAT) or _name(op) == "POSSESSIVE_REPEAT":
            lo, hi, sub = av
            out.append(_regex_text(sub, boost) * min(max(lo, boost), hi))
        elif op is _sc.SUBPATTERN:
            out.append(_regex_text(av[-1], boost))
        elif op is _sc.BRANCH:
            out.append(_regex_text(av[1][0], boost))
        elif op in (_sc.AT, _sc.ASSERT, _sc.ASSERT_NOT):
            continue  # anchors and lookarounds add no text; the result is checked against the pattern
        else:
            raise ValueError(f"unsupported regex element {op}")
    return "".join(out)


def _from_pattern(pattern: str, min_len: int, max_len: int | None) -> str | None:
    """A short string matching ``pattern`` within the length bounds (None when we cannot build one)."""
    try:
        parsed = _sp.parse(pattern)
    except (re.error, RecursionError, OverflowError):
        return None
    for boost in (0, 1, 2, 4, 8, 16, 64, 256):
        try:
            text = _regex_text(parsed, boost)
        except (ValueError, RecursionError, OverflowError):
            return None
        if max_len is not None and len(text) > max_len:
            return None  # a larger boost only makes it longer
        if len(text) < min_len:
            continue
        if _matches(pattern, text):
            return text
    return None


def valid_sample(api: OpenAPI, schema: Any, seen: frozenset = frozenset(), depth: int = 0) -> Any:
    """The smallest value valid against ``schema`` that we can build (None when unknown)."""
    ref = _ref_of(schema)
    if ref is not None:
        if ref in seen:
            return None
        seen = seen | {ref}
    schema = api.deref(schema)
    if not isinstance(schema, dict) or depth > 12:
        return None
    if "allOf" in schema:
        schema = _merge_all_of(api, schema, seen)
    if "const" in schema:
        return schema["const"]
    if "example" in schema:
        return schema["example"]
    if isinstance(schema.get("examples"), list) and schema["examples"]:
        return schema["examples"][0]
    if "default" in schema:
        return schema["default"]
    if isinstance(schema.get("enum"), list):
        choices = [v for v in schema["enum"] if v is not None]
        if choices:
            return choices[0]
    for key in ("oneOf", "anyOf"):
        options = schema.get(key)
        if isinstance(options, list) and options:
            non_null = [o for o in options if not (isinstance(o, dict) and o.get("type") == "null")]
            return valid_sample(api, (non_null or options)[0], seen, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if not isinstance(kind, str):
        kind = "object" if "properties" in schema else ("array" if "items" in schema else None)
    if kind == "string":
        return _string(schema)
    if kind in ("integer", "number"):
        return _number(schema, kind == "integer")
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    if kind == "array":
        n = schema.get("minItems") if isinstance(schema.get("minItems"), int) else 0
        # a body is a sample, not a stress test: cap absurd minimums
        out = [valid_sample(api, schema.get("items", {}), seen, depth + 1) for _ in range(min(max(n, 0), _CAP))]
        if schema.get("uniqueItems") is True and len(out) > 1:
            out = _distinct(api, schema.get("items", {}), out)
        return out
    if kind == "object":
        props = as_dict(schema.get("properties"))
        extra = schema.get("additionalProperties")
        other = extra if isinstance(extra, dict) else {"type": "string"}
        return {name: valid_sample(api, props.get(name, other), seen, depth + 1)
                for name in as_list(schema.get("required")) if isinstance(name, str)}
    return None


def _distinct(api: OpenAPI, items: Any, values: list) -> list:
    """Make the samples of a ``uniqueItems`` array differ (enum values, numbers counted up, suffixed strings)."""
    schema = api.deref(items) if isinstance(items, dict) else {}
    schema = schema if isinstance(schema, dict) else {}
    enum = as_list(schema.get("enum"))
    if enum:  # fewer enum values than minItems cannot be unique: as many as there are
        return enum[:len(values)]
    out = []
    for i, v in enumerate(values):
        if isinstance(v, bool):
            out.append(v if i == 0 else (not v if i == 1 else v))
        elif isinstance(v, (int, float)):
            step = schema.get("multipleOf") if isinstance(schema.get("multipleOf"), (int, float)) else 1
            out.append(v + i * step)
        elif isinstance(v, str):
            out.append(v if i == 0 else (v[:-len(str(i))] if "maxLength" in schema else v) + str(i))
        else:
            out.append(v)
    return out
