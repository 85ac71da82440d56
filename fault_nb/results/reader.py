"""Read results.json / results.yaml and validate it exactly as fault's reader would.

Every problem becomes a :class:`~fault_nb.errors.ResultsFormatError` naming the
file, the JSON path of the bad field and what was expected. Validation is one
hand-written pass over the parsed data (no jsonschema: it is ~50x slower on a
20,000-row file) that also fills the lists fault omits when empty.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from ..errors import ResultsFormatError

# Refuse files above this size: fault's own runs produce a few MB per 10k rows,
# and parsing needs several times the file size in memory, so a bigger file is
# almost surely not a results file and would take the notebook kernel down.
MAX_BYTES = 1 << 30
# A YAML alias may stand for a big subtree; this bounds the expanded node count
# so a "billion laughs" document fails fast instead of hanging the validator.
MAX_ALIAS_NODES = 100_000


_I64 = 1 << 63
# pandas keeps timestamps as int64 nanoseconds: years 1677 to 2262
_MAX_US = _I64 // 1000 - 1
_MAX_S = _MAX_US // 1_000_000


class _NonFinite:
    """Stand-in for a NaN/Infinity literal so the error can name its JSON path."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return self.name


def _fail(file, parts, problem, expected=None):
    raise ResultsFormatError(file, list(parts), problem, expected=expected)


def _describe(v: Any) -> str:
    if isinstance(v, _NonFinite):
        return f"{v.name} (not valid JSON)"
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dict):
        return "an object"
    if isinstance(v, list):
        return "an array"
    if isinstance(v, str):
        s = v if len(v) <= 40 else v[:37] + "..."
        return f"the string {s!r}"
    if isinstance(v, float):
        return f"the float {v!r}"
    return repr(v)


# --------------------------------------------------------------------------- bytes


def read_text(path: Path) -> str:
    """Read a results file as text: size bound, encoding checks, UTF-8 BOM allowed."""
    file = str(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        _fail(file, (), "file not found", "an existing results.json or results.yaml")
    except OSError as exc:
        _fail(file, (), f"cannot read file: {exc.strerror or exc}")
    if path.is_dir():
        _fail(file, (), "is a directory", "a results.json or results.yaml file")
    if size > MAX_BYTES:
        _fail(file, (), f"file is {size} bytes, above the {MAX_BYTES >> 30} GiB limit",
              "a results file under 1 GiB (split the run into several scenario files)")
    try:
        data = path.read_bytes()
    except OSError as exc:
        _fail(file, (), f"cannot read file: {exc.strerror or exc}")
    return decode_bytes(data, file)


def decode_bytes(data: bytes, file: str) -> str:
    if not data.strip():
        _fail(file, (), "file is empty", "a JSON object with start, end and results")
    head = data[:4096]
    if head[:4] in (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"):
        _fail(file, (), "file is UTF-32 encoded, re-save as UTF-8", "UTF-8 text")
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        _fail(file, (), "file is UTF-16 encoded, re-save as UTF-8", "UTF-8 text")
    if b"\x00" in head:
        even, odd = head[0::2], head[1::2]
        if even.count(0) > len(even) // 3 or odd.count(0) > len(odd) // 3:
            _fail(file, (), "file looks UTF-16 encoded (NUL bytes between characters), re-save as UTF-8",
                  "UTF-8 text")
        _fail(file, (), "binary file (contains NUL bytes)", "a UTF-8 JSON or YAML text file")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        _fail(file, (), f"not UTF-8 text: byte 0x{data[exc.start]:02x} at offset {exc.start} (line {line}) "
              "is invalid; binary file or another encoding", "a UTF-8 JSON or YAML text file")
    raise AssertionError("unreachable")  # pragma: no cover


# --------------------------------------------------------------------------- parsing


def parse_json(text: str, file: str) -> tuple[Any, bool]:
    """Parse JSON text; NaN/Infinity literals become markers reported later with their path."""
    seen: list[bool] = []

    def constant(name: str) -> _NonFinite:
        seen.append(True)
        return _NonFinite(name)

    try:
        return json.loads(text, parse_constant=constant), bool(seen)
    except json.JSONDecodeError as exc:
        problem = f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        if exc.pos >= len(text.rstrip()):
            problem += " (end of file: the file looks truncated)"
        _fail(file, (), problem, "a complete JSON document")
    except RecursionError:
        _fail(file, (), "JSON nested too deeply", "a results.json as fault writes it")
    raise AssertionError("unreachable")  # pragma: no cover


def _yaml_loader(guarded: bool):
    import yaml

    base = yaml.SafeLoader if guarded else getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):  # type: ignore[misc, valid-type]
        pass

    import re

    # serde_yaml reads YAML 1.2: no timestamps, and yes/no/on/off stay strings.
    Loader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in rules
                if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")]
        for first, rules in base.yaml_implicit_resolvers.items()
    }
    Loader.add_implicit_resolver(
        "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
    # serde_yaml writes floats the ryu way (1e16, 1e-7) that YAML 1.1 reads as strings.
    Loader.add_implicit_resolver(
        "tag:yaml.org,2002:float",
        re.compile(r"^[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][-+]?[0-9]+$"),
        list("-+0123456789."),
    )
    if guarded:
        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                node = self.anchors.get(event.anchor)
                if node is not None:
                    self._alias_nodes = getattr(self, "_alias_nodes", 0) + _node_size(node, self)
                    if self._alias_nodes > MAX_ALIAS_NODES:
                        raise _AliasBomb(event.start_mark)
            return base.compose_node(self, parent, index)

        Loader.compose_node = compose_node
    return Loader


class _AliasBomb(Exception):
    def __init__(self, mark):
        self.mark = mark


def _node_size(node, loader) -> int:
    cache = loader.__dict__.setdefault("_size_cache", {})
    key = id(node)
    if key in cache:
        return cache[key]
    import yaml

    if isinstance(node, yaml.MappingNode):
        n = 1 + sum(_node_size(k, loader) + _node_size(v, loader) for k, v in node.value)
    elif isinstance(node, yaml.SequenceNode):
        n = 1 + sum(_node_size(v, loader) for v in node.value)
    else:
        n = 1
    cache[key] = n
    return n


def parse_yaml(text: str, file: str) -> Any:
    """yaml.safe_load with a bound on alias expansion (see MAX_ALIAS_NODES)."""
    import yaml

    # An alias needs an anchor ('&'); without one the fast C loader is safe.
    guarded = "&" in text
    try:
        docs = list(yaml.load_all(text, Loader=_yaml_loader(guarded)))
    except _AliasBomb as exc:
        _fail(file, (), f"YAML aliases expand to more than {MAX_ALIAS_NODES} nodes "
              f"(line {exc.mark.line + 1}); refusing a possible alias bomb",
              "a results.yaml without large anchors/aliases")
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        _fail(file, (), f"invalid YAML{where}: {exc.problem or exc}", "a complete YAML document")
    except yaml.YAMLError as exc:
        _fail(file, (), f"invalid YAML: {exc}", "a complete YAML document")
    except RecursionError:
        _fail(file, (), "YAML nested too deeply", "a results.yaml as fault writes it")
    if len(docs) != 1:
        _fail(file, (), f"YAML stream has {len(docs)} documents", "exactly one document")
    return docs[0]


def sniff_format(path: Path, text: str) -> str:
    ext = path.suffix.lower()
    if ext == ".json":
        return "json"
    if ext in (".yaml", ".yml"):
        return "yaml"
    head = text.lstrip("\ufeff \t\r\n")[:1]
    if head == "{":
        return "json"
    if text.lstrip().startswith(("start:", "end:", "results:")):
        return "yaml"
    _fail(str(path), (), f"unsupported file extension {ext or '(none)'!r} and the content is "
          "neither JSON nor results YAML", "a .json, .yaml or .yml results file")
    raise AssertionError("unreachable")  # pragma: no cover


def load_data(path: str | os.PathLike) -> dict:
    """Read, parse and validate a results file; returns the ScenariosResults dict."""
    p = Path(path)
    text = read_text(p)
    fmt = sniff_format(p, text)
    if fmt == "json":
        data, nonfinite = parse_json(text, str(p))
        # serde_json rejects an escaped lone surrogate; only then is the slow check needed
        surrogates = _SURROGATE_ESCAPE.search(text) is not None
    else:
        data, nonfinite, surrogates = parse_yaml(text, str(p)), False, False
    del text
    validate(data, str(p), nonfinite=nonfinite)
    if surrogates:
        where = _find(data, [], _has_lone_surrogate)
        if where is not None:
            _fail(str(p), where, "string holds a lone UTF-16 surrogate escape (\\ud800-\\udfff)",
                  "valid Unicode text")
    return data


# --------------------------------------------------------------------------- validation


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _has_lone_surrogate(o: Any) -> bool:
    if not isinstance(o, str):
        return False
    try:
        o.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _find(o: Any, parts: list, bad) -> list | None:
    """JSON path of the first value (or key) for which ``bad`` is true."""
    if bad(o):
        return parts
    if isinstance(o, dict):
        for k, v in o.items():
            if bad(k):
                return parts + [k.encode("utf-8", "backslashreplace").decode("ascii")]
            found = _find(v, parts + [k], bad)
            if found is not None:
                return found
    elif isinstance(o, list):
        for i, v in enumerate(o):
            found = _find(v, parts + [i], bad)
            if found is not None:
                return found
    return None


def _find_nonfinite(o: Any, parts: list) -> list | None:
    return _find(o, parts, lambda v: isinstance(v, _NonFinite))


def validate(data: Any, file: str = "<memory>", *, nonfinite: bool = False) -> None:
    """Check ``data`` against spec A and fill omitted lists in place; raise ResultsFormatError."""
    v = _Validator(file)
    v.top(data)
    if nonfinite:
        where = _find_nonfinite(data, [])
        if where is not None:
            bad = _get(data, where)
            _fail(file, where, f"{bad.name} is not valid JSON", "a finite number or null")


def _get(o, parts):
    for p in parts:
        o = o[p]
    return o


class _Validator:
    """One pass over the data; paths are built only when something is wrong."""

    def __init__(self, file: str):
        self.file = file

    # --- type helpers (each returns the value; `at` is a callable giving the path)
    def bad(self, parts, v, expected):
        _fail(self.file, parts, f"got {_describe(v)}", expected)

    def req(self, d: dict, key: str, parts: tuple, what: str):
        if key not in d:
            _fail(self.file, parts + (key,), "missing required field", what)
        return d[key]

    def int_(self, v, parts, what="an integer"):
        if type(v) is not int:
            if isinstance(v, float) and what.startswith("an integer"):
                self.bad(parts, v, what + " (fault rejects floats here)")
            self.bad(parts, v, what)
        if not -_I64 <= v < _I64:
            _fail(self.file, parts, f"{v} is out of range", "a 64-bit integer")
        return v

    def count(self, v, parts):
        if type(v) is not int or not 0 <= v < _I64:
            self.int_(v, parts, "a non-negative integer")
            self.bad(parts, v, "a non-negative integer")
        return v

    def num(self, v, parts, nullable=False):
        t = type(v)
        if t is float:
            if v - v != 0.0:  # NaN or inf, e.g. YAML .nan
                self.bad(parts, v, "a finite number")
            return v
        if t is int or (v is None and nullable):
            return v
        self.bad(parts, v, "a number (milliseconds)" + (" or null" if nullable else ""))

    def str_(self, v, parts, nullable=False):
        if type(v) is not str and not (nullable and v is None):
            self.bad(parts, v, "a string" + (" or null" if nullable else ""))
        return v

    def bool_(self, v, parts, nullable=False):
        if type(v) is not bool and not (nullable and v is None):
            self.bad(parts, v, "true or false" + (" or null" if nullable else ""))
        return v

    def list_(self, v, parts, what="an array"):
        if type(v) is not list:
            self.bad(parts, v, what)
        return v

    def dict_(self, v, parts, what="an object"):
        if type(v) is not dict:
            self.bad(parts, v, what)
        return v

    # --- structure
    def top(self, data):
        if type(data) is not dict:
            _fail(self.file, (), f"top level is {_describe(data)}",
                  "an object with start, end and results (fault's ScenariosResults)")
        for key in ("start", "end"):
            v = self.int_(self.req(data, key, (), "integer Unix seconds"), (key,), "an integer (Unix seconds)")
            if not -_MAX_S <= v <= _MAX_S:
                _fail(self.file, (key,), f"{v} is out of range", "Unix seconds between the years 1677 and 2262")
        results = self.list_(self.req(data, "results", (), "an array of scenario results"), ("results",))
        for si, sr in enumerate(results):
            self.scenario_result(sr, ("results", si))

    def scenario_result(self, sr, p):
        self.dict_(sr, p, "an object with scenario and results")
        scen = self.dict_(self.req(sr, "scenario", p, "the scenario object"), p + ("scenario",))
        items = self.scenario(scen, p + ("scenario",))
        irs = self.list_(self.req(sr, "results", p, "an array of item results"), p + ("results",))
        if len(irs) != len(items):
            _fail(self.file, p + ("results",),
                  f"{len(irs)} item results for {len(items)} scenario items",
                  "one item result per scenario item")
        for ii, ir in enumerate(irs):
            self.item_result(ir, p + ("results", ii))

    def scenario(self, scen, p):
        self.str_(self.req(scen, "title", p, "a string"), p + ("title",))
        if "description" in scen:
            self.str_(scen["description"], p + ("description",), nullable=True)
        items = self.list_(self.req(scen, "items", p, "an array of items"), p + ("items",))
        for i, it in enumerate(items):
            self.item(it, p + ("items", i))
        cfg = scen.get("config")
        if cfg is not None:
            self.dict_(cfg, p + ("config",))
            http = cfg.get("http")
            if http is not None:
                hp = p + ("config", "http")
                self.dict_(http, hp)
                if http.get("headers") is not None:
                    self.str_map(http["headers"], hp + ("headers",))
                paths = http.get("paths")
                if paths is not None:
                    self.dict_(paths, hp + ("paths",))
                    if paths.get("segments") is None:
                        paths["segments"] = {}  # omitted when empty (spec A.5)
                    else:
                        self.str_map(paths["segments"], hp + ("paths", "segments"))
        return items

    def str_map(self, m, p):
        self.dict_(m, p, "an object of string values")
        for k, val in m.items():
            self.str_(val, p + (k,))

    def item(self, it, p):
        self.dict_(it, p)
        call = self.dict_(self.req(it, "call", p, "an object with method and url"), p + ("call",))
        cp = p + ("call",)
        self.str_(self.req(call, "method", cp, "an HTTP method string"), cp + ("method",))
        self.str_(self.req(call, "url", cp, "a URL string"), cp + ("url",))
        if call.get("headers") is not None:
            self.str_map(call["headers"], cp + ("headers",))
        if "body" in call:
            self.str_(call["body"], cp + ("body",), nullable=True)
        if call.get("timeout") is not None:
            self.int_(call["timeout"], cp + ("timeout",), "an integer (milliseconds)")
        meta = call.get("meta")
        if meta is not None:
            self.dict_(meta, cp + ("meta",))
            if "operation_id" in meta:
                self.str_(meta["operation_id"], cp + ("meta", "operation_id"), nullable=True)
        ctx = self.dict_(self.req(it, "context", p, "an object"), p + ("context",))
        xp = p + ("context",)
        ups = ctx.get("upstreams")
        if ups is None:
            ctx["upstreams"] = []  # omitted when empty (spec A.5)
        else:
            for i, u in enumerate(self.list_(ups, xp + ("upstreams",))):
                self.str_(u, xp + ("upstreams", i))
        faults = ctx.get("faults")
        if faults is None:
            ctx["faults"] = []
        else:
            for i, f in enumerate(self.list_(faults, xp + ("faults",))):
                self.fault(f, xp + ("faults", i))
        strat = ctx.get("strategy")
        if strat is not None:
            self.strategy(strat, xp + ("strategy",))
        slo = ctx.get("slo")
        if slo is not None:
            for i, s in enumerate(self.list_(slo, xp + ("slo",))):
                self.slo(s, xp + ("slo", i))
        for key in ("proxy", "runs_on"):
            if ctx.get(key) is not None:
                self.dict_(ctx[key], xp + (key,))
        exp = it.get("expect")
        if exp is not None:
            ep = p + ("expect",)
            self.dict_(exp, ep)
            if exp.get("status") is not None:
                self.int_(exp["status"], ep + ("status",), "an integer status code")
            if "response_time_under" in exp:
                self.num(exp["response_time_under"], ep + ("response_time_under",), nullable=True)

    def fault(self, f, p):
        self.dict_(f, p, "a fault object with a type")
        self.str_(self.req(f, "type", p, "a fault type string"), p + ("type",))
        for key in ("mean", "stddev", "min", "max", "shape", "scale", "amplitude", "frequency",
                    "rate", "probability"):
            if key in f and f[key] is not None:
                self.num(f[key], p + (key,))

    def strategy(self, s, p):
        self.dict_(s, p)
        mode = self.str_(self.req(s, "mode", p, "repeat, load or single"), p + ("mode",))
        if mode == "repeat":
            self.num(self.req(s, "step", p, "a number"), p + ("step",))
            self.int_(self.req(s, "count", p, "an integer"), p + ("count",))
            if s.get("wait") is not None:
                self.num(s["wait"], p + ("wait",))
            if s.get("add_baseline_call") is not None:
                self.bool_(s["add_baseline_call"], p + ("add_baseline_call",))
        elif mode == "load":
            self.str_(self.req(s, "duration", p, "a duration string"), p + ("duration",))
            self.int_(self.req(s, "clients", p, "an integer"), p + ("clients",))
            self.int_(self.req(s, "rps", p, "an integer"), p + ("rps",))

    def slo(self, s, p):
        self.dict_(s, p)
        key = "slo_type" if "slo_type" in s else "type"
        self.str_(self.req(s, key, p, "latency or error"), p + (key,))
        self.str_(self.req(s, "title", p, "a string"), p + ("title",))
        self.num(self.req(s, "objective", p, "a number"), p + ("objective",))
        self.num(self.req(s, "threshold", p, "a number"), p + ("threshold",))

    def item_result(self, ir, p):
        self.dict_(ir, p)
        tgt = self.dict_(self.req(ir, "target", p, "an object with address"), p + ("target",))
        self.str_(self.req(tgt, "address", p + ("target",), "a string"), p + ("target", "address"))
        rows = self.list_(self.req(ir, "results", p, "an array of requests"), p + ("results",))
        self.count(self.req(ir, "requests_count", p, "an integer"), p + ("requests_count",))
        self.count(self.req(ir, "failure_counts", p, "an integer"), p + ("failure_counts",))
        tt = self.dict_(self.req(ir, "total_time", p, '{"secs", "nanos"}'), p + ("total_time",),
                        'an object {"secs": int, "nanos": int}')
        self.count(self.req(tt, "secs", p + ("total_time",), "an integer"), p + ("total_time", "secs"))
        nanos = self.count(self.req(tt, "nanos", p + ("total_time",), "an integer"), p + ("total_time", "nanos"))
        if nanos > 999_999_999:
            self.bad(p + ("total_time", "nanos"), nanos, "an integer from 0 to 999999999")
        if ir.get("resources") is not None:
            self.list_(ir["resources"], p + ("resources",))
        for ri, row in enumerate(rows):
            self.row(row, p + ("results", ri))

    def row(self, row, p):
        if type(row) is not dict:
            self.bad(p, row, "an object (one request)")
        start = self.req(row, "start", p, "integer Unix microseconds")
        if type(start) is not int or not -_MAX_US <= start <= _MAX_US:
            self.int_(start, p + ("start",), "an integer (Unix microseconds)")
            _fail(self.file, p + ("start",), f"{start} is out of range",
                  "Unix microseconds between the years 1677 and 2262")
        exp = row.get("expect")
        if exp is not None:
            self.expectation(exp, p + ("expect",))
        m = row.get("metrics")
        if m is not None:
            self.metrics(m, p + ("metrics",))
        faults = self.req(row, "faults", p, "an array of faults")
        if type(faults) is not list:
            self.bad(p + ("faults",), faults, "an array of faults")
        for i, f in enumerate(faults):
            self.fault(f, p + ("faults", i))
        errors = self.req(row, "errors", p, "an array of errors")
        if type(errors) is not list:
            self.bad(p + ("errors",), errors, "an array of errors")
        for i, e in enumerate(errors):
            if type(e) is not dict and type(e) is not str:
                self.bad(p + ("errors", i), e, 'an error object like {"HTTPError": "..."}')

    def expectation(self, e, p):
        self.dict_(e, p, 'an object {"type": "http", "wanted", "got"}')
        self.str_(self.req(e, "type", p, '"http"'), p + ("type",))
        w = self.req(e, "wanted", p, "an object")
        if w is not None:
            self.dict_(w, p + ("wanted",))
            if w.get("status_code") is not None:
                self.int_(w["status_code"], p + ("wanted", "status_code"), "an integer status code")
            if w.get("response_time_under") is not None:
                self.num(w["response_time_under"], p + ("wanted", "response_time_under"))
        g = e.get("got")
        if g is not None:
            self.dict_(g, p + ("got",))
            if g.get("status_code") is not None:
                self.int_(g["status_code"], p + ("got", "status_code"), "an integer status code")
            if g.get("response_time") is not None:
                self.num(g["response_time"], p + ("got", "response_time"))
            d = g.get("decision")
            if d is not None and d != "success" and d != "failure":
                self.bad(p + ("got", "decision"), d, '"success", "failure" or null')

    def metrics(self, m, p):
        if type(m) is not dict:
            self.bad(p, m, "an object or null")
        for key in ("dns", "ttfb", "total_time", "faults", "errored", "timed_out"):
            if key not in m:
                _fail(self.file, p + (key,), "missing required field",
                      "a number" if key in ("ttfb", "total_time") else
                      "true or false" if key in ("errored", "timed_out") else "an array")
        if type(m["total_time"]) is not float:
            self.num(m["total_time"], p + ("total_time",))
        if type(m["ttfb"]) is not float:
            self.num(m["ttfb"], p + ("ttfb",))
        if type(m["errored"]) is not bool:
            self.bool_(m["errored"], p + ("errored",))
        if type(m["timed_out"]) is not bool:
            self.bool_(m["timed_out"], p + ("timed_out",))
        if m["total_time"] - m["total_time"] != 0.0 or m["ttfb"] - m["ttfb"] != 0.0:
            self.num(m["total_time"], p + ("total_time",))
            self.num(m["ttfb"], p + ("ttfb",))
        proto = m.get("protocol")
        if proto is not None:
            pp = p + ("protocol",)
            self.dict_(proto, pp, 'an object {"type": "http", "code", "body_length"} or null')
            self.int_(self.req(proto, "code", pp, "an integer status code"), pp + ("code",))
            self.int_(self.req(proto, "body_length", pp, "an integer"), pp + ("body_length",))
        dns = m["dns"]
        if type(dns) is not list:
            self.bad(p + ("dns",), dns, "an array")
        for i, d in enumerate(dns):
            dp = p + ("dns", i)
            self.dict_(d, dp, 'an object {"host", "duration", "resolved"}')
            self.str_(self.req(d, "host", dp, "a host name"), dp + ("host",))
            self.num(self.req(d, "duration", dp, "a number (ms)"), dp + ("duration",))
            self.bool_(self.req(d, "resolved", dp, "true or false"), dp + ("resolved",))
        mf = m["faults"]
        if type(mf) is not list:
            self.bad(p + ("faults",), mf, "an array")
        for i, f in enumerate(mf):
            fp = p + ("faults", i)
            if type(f) is not dict:
                self.bad(fp, f, 'an object {"url", "applied"}')
            self.str_(self.req(f, "url", fp, "the upstream URL"), fp + ("url",))
            applied = f.get("applied")
            if applied is None:
                continue
            if type(applied) is not list:
                self.bad(fp + ("applied",), applied, "an array of events or null")
            for j, ev in enumerate(applied):
                ep = fp + ("applied", j)
                if type(ev) is not dict:
                    self.bad(ep, ev, 'an object {"event": {...}}')
                inner = self.req(ev, "event", ep, "an event object")
                if type(inner) is not dict:
                    self.bad(ep + ("event",), inner, "an event object with a type")
                self.str_(self.req(inner, "type", ep + ("event",), "an event type string"),
                          ep + ("event", "type"))
                if inner.get("delay") is not None:
                    self.num(inner["delay"], ep + ("event", "delay"))
