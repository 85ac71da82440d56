"""The scenario model: parse, validate and normalise fault scenario documents.

A scenario is a plain dict in the JSON shape results.json embeds (spec A.4):
members in fault's order, f64 fields as ``float``, integers as ``int``, the
SLO ``type`` alias written as ``slo_type``, periods in fault's normalised
form, absent options absent. ``upstreams`` and ``faults`` are always lists
here (possibly empty); the writers omit empty ones as fault does.

Validation follows what fault's serde reader accepts (spec C) and goes
further where fault would panic or silently misbehave: those cases raise a
:class:`~fault_nb.errors.ScenarioFormatError` naming the file, the document
index and the field path, e.g.
``s.yaml: $[0].items[1].context.faults[0].mean: ... (expected ...)``.
Unknown keys are ignored like fault ignores them, and also reported in
``ScenarioList.warnings`` (and one Python warning) so typos get noticed.

>>> scenarios = load_scenarios('''
... title: spike
... items:
... - call: {method: GET, url: "http://localhost:9090/"}
...   context: {upstreams: ["http://localhost:9090"], faults: [{type: latency, mean: 800}]}
... ''')
>>> scenarios[0]["items"][0]["context"]["faults"]
[{'type': 'latency', 'mean': 800.0}]
"""
from __future__ import annotations

import difflib
import functools
import os
import re
import warnings
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

from ..errors import ScenarioFormatError
from . import _yamlread as yr
from ._readers import (
    _MISSING, _bool, _choice, _Ctx, _f64, _fields, _get, _int, _is_null, _list, _mapping,
    _put, _required, _str, _strmap, _text,
)
from .catalogue import FAULT_TYPES
from .period import parse_duration_strict, parse_period_strict

__all__ = ["load_scenarios", "validate_scenario", "ScenarioList", "ScenarioWarning",
           "FAULT_TYPES", "STRATEGY_MODES"]

STRATEGY_MODES = ("single", "repeat", "load")
DISTRIBUTIONS = ("uniform", "normal", "pareto", "pareto-normal")
SIDES = ("client", "server")
DIRECTIONS = ("ingress", "egress", "both")
UNITS = ("Bps", "KBps", "MBps", "GBps")
SLO_TYPES = ("latency", "error")
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443, "ftp": 21}
_PLACEHOLDER = re.compile(r"\{([^{}/]+)\}")


class ScenarioWarning(Warning):
    """Something fault accepts silently but that is probably a mistake (unknown key, dropped period)."""


class ScenarioList(list):
    """A list of scenario dicts plus what the loader noticed.

    ``warnings``: messages naming file and field path; ``sources``: the
    ``(file, document index)`` each scenario came from.
    """

    def __init__(self, items=(), warnings=(), sources=()):
        super().__init__(items)
        self.warnings: list[str] = list(warnings)
        self.sources: list[tuple[str, int]] = list(sources)


# ---- the document ---------------------------------------------------------------

def validate_scenario(doc, *, file: str = "<input>", index: int = 0, lenient: bool = False,
                      ctx: _Ctx | None = None, path: list | tuple | None = None) -> dict:
    """Validate and normalise one scenario document (dict or parsed YAML) into the A.4 shape.

    The one home of the scenario shape: :mod:`fault_nb.results.validate` checks
    each ``$.results[i].scenario`` of a results file here too, with
    ``ctx=_Ctx(file, results=True, ...)`` and ``path`` the JSON path of the
    scenario (errors name it; default ``[index]``).

    >>> validate_scenario({"title": "t", "items": []})
    {'title': 't', 'items': []}
    """
    ctx = ctx or _Ctx(file, lenient)
    path = [index] if path is None else list(path)
    _mapping(ctx, doc, path, "a scenario mapping with title and items")
    _fields(ctx, doc, path, ("title", "description", "items", "config"))
    out: dict = {"title": _str(ctx, doc, "title", path, required=True)}
    _put(out, "description", _str(ctx, doc, "description", path))
    config = _config(ctx, _get(doc, "config"), [*path, "config"])
    items = _list(ctx, doc, "items", path, required=True)
    out["items"] = [_item(ctx, it, [*path, "items", i], config) for i, it in enumerate(items)]
    if config is not None:
        out["config"] = config
    return out


def _config(ctx, value, path):
    if _is_null(value):
        return None
    _mapping(ctx, value, path)
    _fields(ctx, value, path, ("http",))
    out: dict = {}
    http = _get(value, "http")
    if not _is_null(http):
        hpath = [*path, "http"]
        _mapping(ctx, http, hpath)
        _fields(ctx, http, hpath, ("headers", "paths"))
        h: dict = {}
        _put(h, "headers", _strmap(ctx, http, "headers", hpath))
        paths = _get(http, "paths")
        if not _is_null(paths):
            ppath = [*hpath, "paths"]
            _mapping(ctx, paths, ppath)
            _fields(ctx, paths, ppath, ("segments",))
            if _get(paths, "segments") is _MISSING and not ctx.lenient:
                ctx.fail([*ppath, "segments"], "missing required key (fault needs it when paths is given)", paths)
            segments = _strmap(ctx, paths, "segments", ppath)
            if segments is None and ctx.results:
                paths["segments"] = {}  # omitted when empty (spec A.5); filled in place
            h["paths"] = {"segments": segments or {}}
        out["http"] = h
    return out


def _item(ctx, item, path, config):
    _mapping(ctx, item, path, "an item mapping with call and context")
    _fields(ctx, item, path, ("call", "context", "expect"))
    call = _call(ctx, _required(ctx, item, "call", path), [*path, "call"], config)
    context = _context(ctx, _required(ctx, item, "context", path), [*path, "context"])
    out = {"call": call, "context": context}
    expect = _get(item, "expect")
    if not _is_null(expect):
        epath = [*path, "expect"]
        _mapping(ctx, expect, epath)
        _fields(ctx, expect, epath, ("status", "response_time_under", "all_slo_are_valid"))
        e: dict = {}
        _put(e, "status", _int(ctx, expect, "status", epath, maximum=65535, what="an HTTP status code"))
        _put(e, "response_time_under", _f64(ctx, expect, "response_time_under", epath, minimum=0,
                                            what="milliseconds"))
        _put(e, "all_slo_are_valid", _bool(ctx, expect, "all_slo_are_valid", epath))
        out["expect"] = e
    return out


def _call(ctx, call, path, config):
    _mapping(ctx, call, path)
    _fields(ctx, call, path, ("method", "url", "headers", "body", "timeout", "meta"))
    method = _str(ctx, call, "method", path, required=True)
    if not ctx.lenient and not _TOKEN.fullmatch(method):
        ctx.fail([*path, "method"], f"{method!r} is not a valid HTTP method", _get(call, "method"),
                 expected="an HTTP method token such as GET or POST")
    url = _str(ctx, call, "url", path, required=True)
    _check_url(ctx, url, [*path, "url"], _get(call, "url"))
    segments = ((config or {}).get("http") or {}).get("paths", {}).get("segments", {})
    missing = [n for n in _PLACEHOLDER.findall(url) if n not in segments] if "{" in url else None
    if missing:
        ctx.warn([*path, "url"], "no value for " + ", ".join("{%s}" % n for n in missing)
                 + " in config.http.paths.segments: the placeholder is sent literally", loud=False)
    out = {"method": method, "url": url}
    _put(out, "headers", _strmap(ctx, call, "headers", path))
    _put(out, "body", _str(ctx, call, "body", path))
    _put(out, "timeout", _int(ctx, call, "timeout", path, what="milliseconds (an integer)"))
    meta = _get(call, "meta")
    if not _is_null(meta):
        mpath = [*path, "meta"]
        _mapping(ctx, meta, mpath)
        _fields(ctx, meta, mpath, ("operation_id",))
        m: dict = {}
        _put(m, "operation_id", _str(ctx, meta, "operation_id", mpath))
        out["meta"] = m
    return out


def _check_url(ctx, url, path, value):
    problem = _url_problem(url)
    if problem is not None:
        ctx.fail(path, problem[0], value, expected=problem[1])


@functools.lru_cache(maxsize=4096)
def _url_problem(url: str) -> tuple[str, str] | None:
    """What is wrong with a call URL, as (problem, expected); None if fine (a results file repeats URLs)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"{url!r} is not a valid URL: {exc}", "an absolute URL"
    if not parts.scheme or not parts.hostname:
        return (f"{url!r} has no scheme or host (fault panics on it)",
                "an absolute URL such as http://localhost:9090/path")
    if port is None and parts.scheme.lower() not in _DEFAULT_PORTS:
        return f"{url!r} has no port and {parts.scheme!r} has no default one", "an explicit port"
    return None


def _check_upstream(ctx, text, path, value):
    problem = _upstream_problem(text)
    if problem is not None:
        ctx.fail(path, problem, value, expected="scheme://host[:port] or host:port")


@functools.lru_cache(maxsize=4096)
def _upstream_problem(text: str) -> str | None:
    if "://" in text:
        try:
            parts = urlsplit(text)
            parts.port
        except ValueError as exc:
            return f"{text!r}: {exc}"
        if not parts.hostname:
            return f"{text!r} has no host"
        return None
    host, sep, port = text.rpartition(":")
    if not sep or not host or host == "*" or not port.isdigit() or int(port) > 65535:
        return f"{text!r} is neither a URL nor host:port (fault panics on it)"
    return None


def _context(ctx, context, path):
    _mapping(ctx, context, path)
    _fields(ctx, context, path, ("upstreams", "faults", "strategy", "slo", "proxy", "runs_on"))
    upstreams = []
    for i, up in enumerate(_list(ctx, context, "upstreams", path, required=True)):
        text = _text(ctx, up, [*path, "upstreams", i], "a host string")
        if text is None:
            ctx.fail([*path, "upstreams", i], f"got {ctx.describe(up)}", up, expected="a host string")
        _check_upstream(ctx, text, [*path, "upstreams", i], up)
        upstreams.append(text)
    out: dict = {"upstreams": upstreams}
    raw_faults = _list(ctx, context, "faults", path, required=True)
    out["faults"] = [_fault(ctx, f, [*path, "faults", j]) for j, f in enumerate(raw_faults)]
    strategy = _strategy(ctx, _get(context, "strategy"), [*path, "strategy"])
    if strategy is not None:
        out["strategy"] = strategy
        if strategy["mode"] == "repeat":
            for j, fault in enumerate(out["faults"]):
                if fault["type"] == "latency" and "mean" not in fault:
                    ctx.fail([*path, "faults", j, "mean"],
                             "missing: the repeat strategy steps every latency mean (fault panics without it)",
                             raw_faults[j], expected="a mean in milliseconds")
    slo = _list(ctx, context, "slo", path)
    if slo is not None:
        out["slo"] = [_slo(ctx, s, [*path, "slo", k]) for k, s in enumerate(slo)]
    proxy = _get(context, "proxy")
    if not _is_null(proxy):
        ppath = [*path, "proxy"]
        _mapping(ctx, proxy, ppath)
        _fields(ctx, proxy, ppath, ("disable_http_proxies", "proxies"))
        dis = _bool(ctx, proxy, "disable_http_proxies", ppath, required=True)
        proxies = _list(ctx, proxy, "proxies", ppath, required=True)
        out["proxy"] = {"disable_http_proxies": dis,
                        "proxies": [_proxy_entry(ctx, p, [*ppath, "proxies", i])
                                    for i, p in enumerate(proxies)]}
    runs_on = _get(context, "runs_on")
    if not _is_null(runs_on):
        rpath = [*path, "runs_on"]
        _mapping(ctx, runs_on, rpath)
        _fields(ctx, runs_on, rpath, ("platform", "ns", "service", "image"))
        r = {"platform": _choice(ctx, runs_on, "platform", rpath, ("kubernetes",), required=True),
             "ns": _str(ctx, runs_on, "ns", rpath, required=True),
             "service": _str(ctx, runs_on, "service", rpath, required=True)}
        _put(r, "image", _str(ctx, runs_on, "image", rpath))
        out["runs_on"] = r
    return out


def _proxy_entry(ctx, value, path):
    text = _text(ctx, value, path, "a proxy mapping string")
    if text is None:
        ctx.fail(path, f"got {ctx.describe(value)}", value, expected="a proxy mapping string")
    return text


def _strategy(ctx, value, path):
    if _is_null(value):
        return None
    _mapping(ctx, value, path)
    mode = _choice(ctx, value, "mode", path, STRATEGY_MODES, required=True)
    if mode == "single":
        _fields(ctx, value, path, ("mode",))
        return {"mode": "single"}
    if mode == "repeat":
        _fields(ctx, value, path, ("mode", "failfast", "step", "count", "wait", "add_baseline_call"))
        out: dict = {"mode": "repeat"}
        _put(out, "failfast", _bool(ctx, value, "failfast", path))
        out["step"] = _f64(ctx, value, "step", path, required=True, what="milliseconds added per call")
        out["count"] = _int(ctx, value, "count", path, required=True, what="an integer number of calls")
        _put(out, "wait", _f64(ctx, value, "wait", path, minimum=0, what="milliseconds"))
        _put(out, "add_baseline_call", _bool(ctx, value, "add_baseline_call", path))
        return out
    _fields(ctx, value, path, ("mode", "duration", "clients", "rps"))
    duration = _str(ctx, value, "duration", path, required=True)
    try:
        parse_duration_strict(duration)
    except ValueError as exc:
        ctx.fail([*path, "duration"], str(exc), _get(value, "duration"),
                 expected="a duration such as 10s, 1m or 1.5 minutes")
    return {"mode": "load", "duration": duration,
            "clients": _int(ctx, value, "clients", path, required=True, what="an integer number of clients"),
            "rps": _int(ctx, value, "rps", path, required=True, minimum=1,
                        what="requests per second per client, at least 1 (fault panics on 0)")}


def _slo(ctx, value, path):
    _mapping(ctx, value, path)
    _fields(ctx, value, path, ("slo_type", "type", "title", "objective", "threshold"))
    if _get(value, "slo_type") is not _MISSING and _get(value, "type") is not _MISSING:
        ctx.fail([*path, "type"], "both type and slo_type given", value, expected="only one of them")
    key = "type" if _get(value, "type") is not _MISSING else "slo_type"
    slo_type = _str(ctx, value, key, path, required=True)
    if slo_type not in SLO_TYPES:
        ctx.warn([*path, key], f"{slo_type!r} is not evaluated (fault only computes latency and error SLOs)")
    return {"slo_type": slo_type,
            "title": _str(ctx, value, "title", path, required=True),
            "objective": _f64(ctx, value, "objective", path, required=True, minimum=0, maximum=100,
                              what="a percentile or percentage, e.g. 95"),
            "threshold": _f64(ctx, value, "threshold", path, required=True, minimum=0,
                              what="a number: ms for latency, percent for error")}


# ---- faults ---------------------------------------------------------------------

def _period(ctx, f, path, out):
    text = _str(ctx, f, "period", path)
    if text is None:
        return
    try:
        out["period"] = parse_period_strict(text).text
    except ValueError as exc:
        ctx.warn([*path, "period"], f"{exc}; dropped, so the fault is always on (fault does the same silently)")


def _net(ctx, f, path, out):
    _put(out, "direction", _choice(ctx, f, "direction", path, DIRECTIONS, fold=True))
    _put(out, "side", _choice(ctx, f, "side", path, SIDES, what="client or server (exact case)"))


def _latency(ctx, f, path, out):
    dist = _choice(ctx, f, "distribution", path, DISTRIBUTIONS, fold=True)
    _put(out, "distribution", dist)
    _put(out, "global", _bool(ctx, f, "global", path))
    _put(out, "side", _choice(ctx, f, "side", path, SIDES, what="client or server (exact case)"))
    for key in ("mean", "stddev", "min", "max", "shape", "scale"):
        _put(out, key, _f64(ctx, f, key, path, minimum=0, what="milliseconds >= 0"))
    if dist is not None and dist.lower() == "uniform":
        if "min" not in out or "max" not in out or not out["min"] < out["max"]:
            ctx.fail([*path, "min" if "min" not in out else "max"],
                     "a uniform latency needs explicit min and max with min < max (fault panics otherwise)",
                     f, expected="min < max")
    if dist is not None and dist.lower() in ("pareto", "pareto-normal"):
        for key in ("shape", "scale"):
            if out.get(key) == 0.0:
                ctx.fail([*path, key], "must be > 0 for a pareto distribution", _get(f, key),
                         expected="a positive number")
    _put(out, "direction", _choice(ctx, f, "direction", path, DIRECTIONS, fold=True))
    _period(ctx, f, path, out)


def _packetloss(ctx, f, path, out):
    _net(ctx, f, path, out)
    _period(ctx, f, path, out)


def _bandwidth(ctx, f, path, out):
    out["rate"] = _int(ctx, f, "rate", path, required=True, maximum=2**32 - 1, what="a whole number (u32)")
    if out["rate"] == 0:
        ctx.warn([*path, "rate"], "a rate of 0 lets no byte through")
    out["unit"] = _choice(ctx, f, "unit", path, UNITS, required=True,
                          what="one of Bps, KBps, MBps, GBps (exact case)")
    _net(ctx, f, path, out)
    _period(ctx, f, path, out)


def _jitter(ctx, f, path, out):
    out["amplitude"] = _f64(ctx, f, "amplitude", path, required=True, minimum=0, what="milliseconds >= 0")
    out["frequency"] = _f64(ctx, f, "frequency", path, required=True, minimum=0,
                            what="a number >= 0 (used as a probability per I/O operation)")
    _net(ctx, f, path, out)
    _period(ctx, f, path, out)


def _dns(ctx, f, path, out):
    out["rate"] = _f64(ctx, f, "rate", path, required=True, minimum=0, maximum=1,
                       what="a probability between 0.0 and 1.0")
    _period(ctx, f, path, out)


def _httperror(ctx, f, path, out):
    out["status_code"] = _int(ctx, f, "status_code", path, required=True, minimum=100, maximum=999,
                              what="an HTTP status code 100-999")
    _put(out, "body", _str(ctx, f, "body", path))
    out["probability"] = _f64(ctx, f, "probability", path, required=True, minimum=0, maximum=1,
                              what="a probability between 0.0 and 1.0")
    _period(ctx, f, path, out)


def _blackhole(ctx, f, path, out):
    _net(ctx, f, path, out)
    _period(ctx, f, path, out)


_FAULTS: dict[str, tuple[tuple[str, ...], Callable]] = {
    "latency": (("distribution", "global", "side", "mean", "stddev", "min", "max", "shape", "scale",
                 "direction", "period"), _latency),
    "packetloss": (("direction", "side", "period"), _packetloss),
    "bandwidth": (("rate", "unit", "direction", "side", "period"), _bandwidth),
    "jitter": (("amplitude", "frequency", "direction", "side", "period"), _jitter),
    "dns": (("rate", "period"), _dns),
    "httperror": (("status_code", "body", "probability", "period"), _httperror),
    "blackhole": (("direction", "side", "period"), _blackhole),
}
_FAULTS = {kind: (("type", *keys), build) for kind, (keys, build) in _FAULTS.items()}  # keys with "type"
_FAULT_ALIASES = {"http_error": "httperror", "packet_loss": "packetloss", "black_hole": "blackhole",
                  "http-error": "httperror", "packet-loss": "packetloss", "black-hole": "blackhole"}


def _fault(ctx, f, path):
    _mapping(ctx, f, path, "a fault mapping with a type")
    kind = _str(ctx, f, "type", path, required=True)
    if kind not in _FAULTS and ctx.results:
        return {"type": kind}  # a results file keeps a type from a newer fault; its fields are unknown here
    if kind not in _FAULTS:
        guess = _FAULT_ALIASES.get(kind.lower()) or next(
            iter(difflib.get_close_matches(kind.lower(), FAULT_TYPES, n=1, cutoff=0.6)), None)
        hint = f"; did you mean {guess!r}?" if guess else ""
        ctx.fail([*path, "type"], f"unknown fault type {kind!r}{hint}", _get(f, "type"),
                 expected="one of " + ", ".join(FAULT_TYPES))
    keys, build = _FAULTS[kind]
    _fields(ctx, f, path, keys)
    out = {"type": kind}
    build(ctx, f, path, out)
    return out


# ---- sources --------------------------------------------------------------------

def _parse_text(ctx: _Ctx, text: str, out: ScenarioList) -> None:
    import yaml

    docs = yr.load_documents(text)
    index = 0  # the document being read, for errors raised while parsing it
    try:
        for index, doc in docs:
            if doc is None or (isinstance(doc, yr.Scalar) and doc.plain and doc.raw == ""):
                ctx.warn([index], "empty document skipped", loud=False)
                index += 1
                continue
            out.append(validate_scenario(doc, file=ctx.file, index=index, ctx=ctx))
            out.sources.append((ctx.file, index))
            index += 1
    except yr.DuplicateKey as exc:
        where = f" (line {exc.line})" if exc.line else ""
        raise ScenarioFormatError(ctx.file, [index], f"duplicate key {exc.key!r}{where}",
                                  expected="each key once per mapping") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioFormatError(ctx.file, [index], f"invalid YAML{where}: {problem}") from None


def _files_in(directory: Path) -> list[Path]:
    return sorted((p for p in directory.rglob("*")
                   if p.is_file() and p.suffix.lower() in (".yaml", ".yml")),
                  key=lambda p: p.relative_to(directory).as_posix())


def _looks_like_path(text: str) -> bool:
    # scenario YAML always has a "key:"; a single line without one is a path
    return "\n" not in text and (os.path.exists(text) or text.lower().endswith((".yaml", ".yml"))
                                 or ":" not in text)


def load_scenarios(source: Any, *, lenient: bool = False) -> ScenarioList:
    """Load and validate scenarios from a file, a directory, YAML text, a dict or a list of dicts.

    A directory is searched recursively for ``*.yaml`` / ``*.yml`` (any case),
    in sorted order; every YAML document is one scenario. Returns a
    :class:`ScenarioList` of A.4-shaped dicts with ``.warnings`` and ``.sources``.

    ``lenient=True`` also accepts what fault itself writes into results.json
    but cannot read back (spec A.5: omitted empty ``upstreams``/``faults``/
    ``segments``) and invalid method tokens (fault records an
    ``HTTPMethodError`` for the request instead of refusing the file).

    >>> load_scenarios("tests/fixtures/scenarios/seed_app.yaml")[0]["title"]  # doctest: +SKIP
    'Latency spike on every endpoint'
    """
    out = ScenarioList()
    ctxs: list[_Ctx] = []
    if isinstance(source, (bytes, bytearray)):
        source = source.decode("utf-8")
    if isinstance(source, dict) or (isinstance(source, (list, tuple))
                                    and all(isinstance(d, dict) for d in source)):
        ctx = _Ctx("<memory>", lenient)
        ctxs.append(ctx)
        docs = [source] if isinstance(source, dict) else list(source)
        for i, doc in enumerate(docs):
            out.append(validate_scenario(doc, file=ctx.file, index=i, ctx=ctx))
            out.sources.append((ctx.file, i))
    elif isinstance(source, (str, os.PathLike)):
        if isinstance(source, str) and not _looks_like_path(source):
            ctx = _Ctx("<text>", lenient)
            ctxs.append(ctx)
            _parse_text(ctx, source, out)
        else:
            path = Path(source)
            if path.is_dir():
                files = _files_in(path)
                if not files:
                    raise ScenarioFormatError(path, [], "no scenario files found",
                                              expected="*.yaml or *.yml files in the directory")
            elif path.is_file():
                files = [path]
            else:
                raise ScenarioFormatError(path, [], "no such file or directory",
                                          expected="a scenario YAML file or a directory of them")
            for file in files:
                ctx = _Ctx(str(file), lenient)
                ctxs.append(ctx)
                try:
                    text = file.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError) as exc:
                    raise ScenarioFormatError(file, [], f"cannot read the file: {exc}") from None
                before = len(out)
                _parse_text(ctx, text, out)
                if len(out) == before:
                    ctx.warn([], "no scenario document in this file", loud=False)
    else:
        raise ScenarioFormatError("<input>", [], f"cannot load scenarios from {type(source).__name__}",
                                  expected="a path, YAML text, a dict or a list of dicts")
    loud = []
    for ctx in ctxs:
        out.warnings.extend(ctx.warnings)
        loud.extend(ctx.python_warnings)
    if loud:
        more = f" (and {len(loud) - 3} more, see .warnings)" if len(loud) > 3 else ""
        warnings.warn("; ".join(loud[:3]) + more, ScenarioWarning, stacklevel=2)
    return out
