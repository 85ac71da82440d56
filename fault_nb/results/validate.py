"""Validation of a parsed ScenariosResults against fault's types (spec A).

One hand-written pass (jsonschema took 135x longer on a 4,000-row file, measured)
that checks every field fault's reader checks, fills the lists fault omits when
empty, and raises :class:`~fault_nb.errors.ResultsFormatError` with the JSON
path of the first bad field. Paths are only built when something is wrong.

The embedded scenarios (``$.results[i].scenario``) and the faults of each row
have the scenario shape: they are checked by the scenario model
(:func:`fault_nb.scenarios.model.validate_scenario`, ``_fault``) in its results
mode, which fills the omitted lists in place and changes nothing else. This
module checks the rest (item results, rows, expectations, metrics).
"""
from __future__ import annotations

import re
from typing import Any

from ..errors import ResultsFormatError

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
        from ..scenarios import model  # on first use: it reads YAML, which the light CLI modules do not import

        self.file = file
        self.scenario_ctx = model._Ctx(file, results=True, error=ResultsFormatError, describe=_describe)
        self.validate_scenario = model.validate_scenario
        self.check_fault = model._fault
        self.last_faults: list = []  # the last row's faults, checked; see row_faults
        self.last_types: list = []

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
        # the scenario shape has one home, the scenario model, in its results mode
        self.validate_scenario(scen, ctx=self.scenario_ctx, path=p + ("scenario",))
        items = scen["items"]
        irs = self.list_(self.req(sr, "results", p, "an array of item results"), p + ("results",))
        if len(irs) != len(items):
            _fail(self.file, p + ("results",),
                  f"{len(irs)} item results for {len(items)} scenario items",
                  "one item result per scenario item")
        for ii, ir in enumerate(irs):
            self.item_result(ir, p + ("results", ii))

    def row_faults(self, faults, p):
        """The faults in force for one request have the scenario's fault shape (the scenario model checks it).

        Rows of a single or load item repeat the previous row's faults: equal
        values of the same types need no second check (1 == 1.0 == True, hence the types).
        """
        if faults == self.last_faults:
            types = [tuple(map(type, f.values())) for f in faults]
            if types == self.last_types:
                return
        for i, f in enumerate(faults):
            self.check_fault(self.scenario_ctx, f, p + ("faults", i))
        self.last_faults = faults
        self.last_types = [tuple(map(type, f.values())) for f in faults]

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
        if faults:
            self.row_faults(faults, p)
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
