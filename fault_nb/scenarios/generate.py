"""OpenAPI → resilience scenarios: fault's eight scenarios per operation (spec E).

Two modes:

``fault_compat=True`` reproduces ``fault scenario generate`` byte for byte
(for the documents fault understands): base URL = ``servers[0].url``
verbatim, bodies only for POST/PUT ``application/json`` with fault's
synthesis (all properties, empty values), ``content-type`` on every POST/PUT,
a missing operationId written as ``none``, ``config: {}`` for endpoints with
path placeholders (fault's template loses the segments), TRACE listed twice.

The default (improved) mode keeps the same eight scenarios, titles and fault
values, and makes every call actually reach the handler:

* path placeholders get values in ``config.http.paths.segments`` (from the
  parameter's example / examples / default / enum, else a valid made-up value
  for its schema type and format, e.g. ``1`` for an integer id);
* required query parameters are appended to the URL, required header
  parameters are sent;
* request bodies (any method that declares one, JSON or form or text) come
  from the media example(s), else a minimal body valid against the schema:
  required properties only, honouring ``enum``/``const``/``default``,
  ``format``, ``minimum``/``maximum``/``multipleOf``, ``minLength``/``maxLength``,
  ``minItems``; ``allOf`` merged, ``oneOf``/``anyOf`` first option;
* ``content-type`` is sent only with a body; ``expect.status`` is the first
  2xx status the operation declares (fault always expects 200);
* servers: operation / path / root ``servers`` honoured, variables expanded
  with their defaults, relative URLs resolved against the spec URL; the
  upstream is the server's origin (``scheme://host:port``);
* OpenAPI 3.0 documents yield scenarios (fault 0.12 yields none);
* a missing operationId becomes ``<method>_<path>`` (e.g. ``get_users_user_id``).

Both modes accept ``operations=`` (operationIds or ``"METHOD /path"``),
``kinds=`` (short names, see :data:`KINDS`), ``base_url=`` (overrides the
servers, e.g. the port the app really runs on) and ``load_scale=`` (multiplies
every load ``duration``; ``0.2`` turns the 10 s/15 s/8 s load tests into
2 s/3 s/1.6 s runs for a quick notebook demo; periods are fractions so they
scale along).

>>> scenarios = generate_scenarios("openapi.json", kinds=["latency", "http-error"])  # doctest: +SKIP
"""
from __future__ import annotations

import math
import re
from typing import Any, Iterable
from urllib.parse import quote, urlencode, urlsplit

from .._endpoint_ids import MISSING_OPERATION_ID, derived_operation_id
from ..errors import FaultNbError, OpenAPIError, ScenarioFormatError, UnknownEndpointError
from .catalogue import KINDS, SCENARIO_KINDS  # fault's eight scenarios: titles, faults, values
from .model import ScenarioList, validate_scenario
from .openapi import OpenAPI, Operation, as_dict, load_openapi
from .period import parse_duration_strict
from .samples import compact_json, fault_sample, valid_sample
from .yamlout import format_f64

__all__ = ["generate_scenarios", "KINDS", "endpoint_filename", "split_by_endpoint"]

# ---- fault's body synthesis (compat) ----------------------------------------------

def _compat_body(api: OpenAPI, op: Operation) -> str | None:
    if op.method not in ("POST", "PUT"):
        return None
    body = op.operation.get("requestBody")
    if isinstance(body, dict) and "$ref" in body:
        body = api.deref(body, prefix="#/components/requestBodies/")
    if not isinstance(body, dict):
        return None
    media = as_dict(body.get("content")).get("application/json")
    if not isinstance(media, dict):
        return None
    # fault's serde_json maps are BTreeMaps (no preserve_order): object keys come out sorted,
    # and the "first" entry of `examples` is the alphabetically first one
    if "example" in media:
        return compact_json(media["example"], sort_keys=True)
    examples = media.get("examples")
    if isinstance(examples, dict):
        for name in sorted(examples):
            ex = examples[name]
            if isinstance(ex, dict) and "$ref" not in ex and "value" in ex:
                return compact_json(ex["value"], sort_keys=True)
    schema = media.get("schema")
    if schema is None:
        return None
    return compact_json(fault_sample(api, schema), sort_keys=True)


# ---- improved mode: parameters and bodies ----------------------------------------

def _param_value(api: OpenAPI, param: dict) -> Any:
    if "example" in param and param["example"] is not None:
        return param["example"]
    examples = param.get("examples")
    if isinstance(examples, dict):
        for ex in examples.values():
            ex = api.deref(ex)
            if isinstance(ex, dict) and "value" in ex:
                return ex["value"]
    schema = param.get("schema")
    if schema is None:
        for media in as_dict(param.get("content")).values():
            schema = as_dict(media).get("schema")
            break
    value = valid_sample(api, schema if schema is not None else {"type": "string"})
    return "1" if value is None else value


def _query_value(api: OpenAPI, param: dict) -> Any:
    """A required query parameter's value; an empty array would leave it out of the URL."""
    value = _param_value(api, param)
    if value == []:
        schema = as_dict(api.deref(param.get("schema")))
        if schema.get("maxItems") != 0:
            item = valid_sample(api, schema.get("items", {"type": "string"}))
            return [("1" if item is None else item)]
    return value


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format_f64(value) if value != int(value) else str(int(value))
    if isinstance(value, (dict, list)):
        return compact_json(value)
    return str(value)


def _improved_body(api: OpenAPI, op: Operation) -> tuple[str, str] | None:
    body = api.deref(op.operation.get("requestBody"))
    if not isinstance(body, dict) or not isinstance(body.get("content"), dict):
        return None
    content = {str(k): v for k, v in body["content"].items()}
    json_types = [m for m in content if m.split(";")[0].strip().lower() == "application/json"] + \
                 [m for m in content if re.search(r"[/+]json\b", m.lower()) and m.lower() != "application/json"]
    for media_type in json_types + [m for m in content if m not in json_types]:
        media = as_dict(api.deref(content[media_type]))
        base = media_type.split(";")[0].strip().lower()
        value, found = None, False
        if "example" in media:
            value, found = media["example"], True
        elif isinstance(media.get("examples"), dict):
            for ex in media["examples"].values():
                ex = api.deref(ex)
                if isinstance(ex, dict) and "value" in ex:
                    value, found = ex["value"], True
                    break
        if not found:
            value = valid_sample(api, media.get("schema", {}))
        if media_type in json_types:
            return media_type, compact_json(value if value is not None else {})
        if base == "application/x-www-form-urlencoded" and isinstance(value, dict):
            return media_type, urlencode({k: _text(v) for k, v in value.items()})
        if base.startswith("text/"):
            return media_type, value if isinstance(value, str) else _text(value if value is not None else "")
    return None


def _expected_status(op: Operation) -> int:
    codes = [str(c) for c in as_dict(op.operation.get("responses"))]
    ok = sorted(int(c) for c in codes if c.isdigit() and 200 <= int(c) < 300)
    return ok[0] if ok else 200


# ---- scenario assembly ---------------------------------------------------------------

def _derived_id(op: Operation) -> str:
    # shared with results (fault's "none" gets this id there) and the code index
    return derived_operation_id(op.method, op.path)


def _origin(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:  # reported by the URL check of the scenario
        return url
    if not parts.scheme or not parts.netloc:
        return url.rstrip("/")
    return f"{parts.scheme}://{parts.netloc}"


def _join(base: str, path: str) -> str:
    return base.rstrip("/") + "/" + path.lstrip("/") if base else path


def _scale(duration: str, factor: float) -> str:
    if factor == 1.0:
        return duration
    ms = max(1, round(parse_duration_strict(duration) * factor * 1000))
    return f"{ms // 1000}s" if ms % 1000 == 0 else f"{ms}ms"


def _calls(api: OpenAPI, op: Operation, *, fault_compat: bool, base_url: str | None):
    """(call, upstream, config, expected status, operation id) for one operation."""
    if fault_compat:
        base = base_url or api.raw_server() or "http://localhost"
        if not base_url and re.search(r"\{[^{}]*\}", base):
            raise OpenAPIError(api.source, ["servers", 0, "url"],
                               f"{base!r} has server variables that fault does not expand, so its calls "
                               "could not be sent", expected="base_url=..., or the default mode (it expands them)")
        call: dict = {"method": op.method, "url": base + op.path}
        if op.method in ("POST", "PUT"):
            call["headers"] = {"content-type": "application/json"}
        body = _compat_body(api, op)
        if body is not None:
            call["body"] = body
        config = {} if "{" in op.path and "}" in op.path else None
        return call, base, config, 200, op.operation_id or MISSING_OPERATION_ID
    servers = api.servers(op)
    base = base_url or (servers[0] if servers else (_origin(api.url) if api.url else "http://localhost"))
    url = _join(base, op.path)
    params = api.parameters(op)
    segments = {}
    for name in re.findall(r"\{([^{}/]+)\}", op.path):
        param = next((p for p in params if p.get("in") == "path" and p["name"] == name), {"schema": {"type": "string"}})
        # the value lands inside the URL path as is: keep it one encoded segment
        segments[name] = quote(_text(_param_value(api, param)), safe="-._~!$&'()*+,;=:@")
    query = [(p, _query_value(api, p)) for p in params if p.get("in") == "query" and p.get("required")]
    if query:
        pairs = []
        for param, value in query:
            if isinstance(value, list) and param.get("explode") is False and param.get("style", "form") == "form":
                pairs.append((param["name"], ",".join(_text(v) for v in value)))  # form style, explode: false
                continue
            for v in (value if isinstance(value, list) else [value]):
                pairs.append((param["name"], _text(v)))
        url += ("&" if "?" in url else "?") + urlencode(pairs, quote_via=quote)
    call = {"method": op.method, "url": url}
    headers = {p["name"]: _text(_param_value(api, p)) for p in params
               if p.get("in") == "header" and p.get("required")
               and p["name"].lower() not in ("accept", "content-type", "authorization")}
    cookies = [(p["name"], _text(_param_value(api, p))) for p in params
               if p.get("in") == "cookie" and p.get("required")]
    if cookies:
        headers["cookie"] = "; ".join(f"{name}={quote(value, safe='')}" for name, value in cookies)
    body = _improved_body(api, op)
    if body is not None:
        headers["content-type"] = body[0]
    if headers:
        call["headers"] = headers
    if body is not None:
        call["body"] = body[1]
    config = {"http": {"paths": {"segments": segments}}} if segments else None
    return call, _origin(base), config, _expected_status(op), op.operation_id or _derived_id(op)


def _select(api: OpenAPI, ops: list[Operation], operations: Iterable[str] | None) -> list[Operation]:
    if operations is None:
        return ops
    wanted = [operations] if isinstance(operations, str) else list(operations)
    out = []
    for w in wanted:
        method, _, path = str(w).partition(" ")
        hits = [op for op in ops if op.operation_id == w or (path and op.method == method.upper() and op.path == path)
                or (not op.operation_id and _derived_id(op) == w)]  # the id the default mode writes
        if not hits:
            raise UnknownEndpointError(str(w), [op.operation_id or op.label for op in ops])
        out += [op for op in hits if op not in out]
    return [op for op in ops if op in out]


def generate_scenarios(spec: Any, *, operations: Iterable[str] | None = None, kinds: Iterable[str] | None = None,
                       fault_compat: bool = False, base_url: str | None = None,
                       load_scale: float = 1.0) -> ScenarioList:
    """Fault's eight resilience scenarios for every operation of an OpenAPI 3.0/3.1 document.

    ``spec`` is a URL, a JSON/YAML file or a dict. See the module docstring for
    the two modes and the options. Returns validated scenario dicts
    (write them with :func:`~fault_nb.scenarios.write_scenarios`) in a
    ``ScenarioList`` whose ``.warnings`` notes, e.g., a document served from
    one address whose ``servers`` name another (pass ``base_url=``).

    >>> s = generate_scenarios("openapi.json", operations=["GET /users/{user_id}"], load_scale=0.2)  # doctest: +SKIP
    """
    api = load_openapi(spec)
    if kinds is not None:
        kinds = [kinds] if isinstance(kinds, str) else list(kinds)
        unknown = [k for k in kinds if k not in KINDS]
        if unknown:
            raise FaultNbError(f"unknown scenario kind {unknown[0]!r}. Expected one of: {', '.join(KINDS)}")
    if not (isinstance(load_scale, (int, float)) and load_scale > 0 and math.isfinite(load_scale)):
        raise FaultNbError(f"load_scale must be a positive number, got {load_scale!r}")
    ops = _select(api, list(api.operations(trace_twice=fault_compat)), operations)
    out = ScenarioList()
    served = _origin(api.url) if api.url else None
    first = api.raw_server() if fault_compat else next(iter(api.servers()), None)
    if served and first and base_url is None and _origin(first) != served:
        # typical of FastAPI apps that hard-code servers=[...] but run elsewhere
        out.warnings.append(f"{api.source}: $.servers[0].url: the calls go to {_origin(first)}, but the "
                            f"document was served by {served}; pass base_url= (--base-url) if the app runs there")
    for op in ops:
        call, upstream, config, status, op_id = _calls(api, op, fault_compat=fault_compat, base_url=base_url)
        call = {**call, "meta": {"operation_id": op_id}}
        for template in SCENARIO_KINDS:
            kind, title, description = template.kind, template.title, template.description
            faults, strategy, slo, expect, extras = (template.faults, template.strategy, template.slo,
                                                     template.expect, template.call_extras)
            if kinds is not None and kind not in kinds:
                continue
            item_call = dict(call)
            if extras:  # timeout sits between body and meta in fault's member order
                meta = item_call.pop("meta")
                item_call.update(extras)
                item_call["meta"] = meta
            context: dict = {"upstreams": [upstream], "faults": [dict(f) for f in faults]}
            if strategy is not None:
                context["strategy"] = dict(strategy)
                if strategy["mode"] == "load":
                    context["strategy"]["duration"] = _scale(strategy["duration"], float(load_scale))
            if slo is not None:
                context["slo"] = [dict(s) for s in slo]
            item: dict = {"call": item_call, "context": context}
            if expect is not None:
                item["expect"] = dict(expect)
                if "status" in expect and not fault_compat:
                    item["expect"]["status"] = status
            scenario: dict = {"title": title, "description": description, "items": [item]}
            if config is not None:
                scenario["config"] = config
            try:
                out.append(validate_scenario(scenario, file=api.source, index=len(out)))
            except ScenarioFormatError as exc:  # say which part of the document led there
                raise OpenAPIError(api.source, op.pointer, f"the generated {op.label} call is not usable: "
                                   f"{exc.path[len(f'$[{len(out)}]'):].lstrip('.')}: {exc.problem}",
                                   expected=exc.expected) from None
            out.sources.append((api.source, len(out) - 1))
    return out


def endpoint_filename(url: str) -> str:
    """fault's per-endpoint file name (split mode): the URL path, decoded, ``/`` → ``_``.

    >>> endpoint_filename("http://localhost:9090/users/{user_id}")
    'users_{user_id}.yaml'
    """
    from urllib.parse import unquote

    path = urlsplit(url).path.lstrip("/")
    name = unquote(path).replace("/", "_").replace("\\", "_").replace("\0", "")
    return (name or "root") + ".yaml"


def split_by_endpoint(scenarios: Iterable[dict]) -> dict[str, list[dict]]:
    """Group scenarios per endpoint file name (unlike fault, the last endpoint is written too).

    >>> list(split_by_endpoint(generate_scenarios("openapi.json")))  # doctest: +SKIP
    ['root.yaml', 'users_.yaml', 'users_{user_id}.yaml']
    """
    groups: dict[str, list[dict]] = {}
    for s in scenarios:
        url = s["items"][0]["call"]["url"] if s.get("items") else ""
        groups.setdefault(endpoint_filename(url.split("?", 1)[0]), []).append(s)
    return groups
