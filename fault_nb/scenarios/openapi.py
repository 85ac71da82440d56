"""Read an OpenAPI 3.0 / 3.1 document from a URL, a file or a dict, and walk it safely.

* URL: fetched with httpx; JSON when the response ``Content-Type`` mentions
  json, YAML otherwise (as fault does).
* File: JSON or YAML. A dict is used as is.
* ``$ref``: local references (``#/...``) are resolved anywhere they appear;
  reference chains and recursive schemas are followed with cycle protection.
  External references are left unresolved (treated as an empty schema).
* Swagger 2.0 and non-OpenAPI documents raise :class:`~fault_nb.errors.OpenAPIError`
  naming the field.

>>> api = load_openapi({"openapi": "3.1.0", "paths": {}})
>>> api.version, api.servers()
('3.1.0', [])
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import unquote, urljoin, urlsplit

from ..errors import OpenAPIError

__all__ = ["OpenAPI", "Operation", "load_openapi", "METHOD_ORDER"]

# the order fault's OpenAPI library lists a path item's operations (spec E.2)
METHOD_ORDER = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_VAR = re.compile(r"\{([^{}]+)\}")


def as_dict(value: Any) -> dict:
    """``value`` if it is a mapping, else {} (documents in the wild are messy)."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else []


@dataclass
class Operation:
    """One operation of the document (path item merged with the operation)."""

    method: str                     # upper case
    path: str
    operation: dict
    path_item: dict
    pointer: list = field(default_factory=list)

    @property
    def operation_id(self) -> str | None:
        op_id = self.operation.get("operationId")
        return op_id if isinstance(op_id, str) and op_id else None

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


class OpenAPI:
    """A loaded OpenAPI document plus where it came from (``source``, ``url``)."""

    def __init__(self, doc: dict, *, source: str = "<memory>", url: str | None = None):
        self.doc = doc
        self.source = source
        self.url = url
        self.version = self._check_version()

    # -- validation ---------------------------------------------------------------
    def _check_version(self) -> str:
        doc = self.doc
        if not isinstance(doc, dict):
            raise OpenAPIError(self.source, [], f"the document is a {type(doc).__name__}",
                               expected="an OpenAPI 3.0 or 3.1 mapping")
        if "swagger" in doc and "openapi" not in doc:
            raise OpenAPIError(self.source, ["swagger"], f"Swagger {doc.get('swagger')} is not supported",
                               expected="an OpenAPI 3.0 or 3.1 document (convert it, e.g. with swagger2openapi)")
        version = doc.get("openapi")
        if version is None:
            raise OpenAPIError(self.source, ["openapi"], "missing: this is not an OpenAPI document",
                               expected="openapi: 3.0.x or 3.1.x")
        version = str(version)
        if not version.startswith(("3.0", "3.1")):
            raise OpenAPIError(self.source, ["openapi"], f"unsupported OpenAPI version {version!r}",
                               expected="3.0.x or 3.1.x")
        paths = doc.get("paths")
        if paths is not None and not isinstance(paths, dict):
            raise OpenAPIError(self.source, ["paths"], f"got a {type(paths).__name__}", expected="a mapping")
        return version

    # -- references ---------------------------------------------------------------
    def pointer(self, ref: str) -> Any:
        """The node a local ``$ref`` points at, or None when it cannot be resolved."""
        if not isinstance(ref, str) or not ref.startswith("#"):
            return None
        node: Any = self.doc
        for raw in ref[1:].split("/")[1:] if ref != "#" else []:
            part = unquote(raw).replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                return None
        return node

    def deref(self, node: Any, *, prefix: str | None = None) -> Any:
        """Follow ``$ref`` chains (cycle-safe). ``prefix`` limits which refs are followed.

        >>> api = OpenAPI({"openapi": "3.1.0", "components": {"schemas": {"A": {"$ref": "#/components/schemas/A"}}}})
        >>> api.deref({"$ref": "#/components/schemas/A"})
        {}
        """
        seen: set[str] = set()
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if ref in seen or (prefix is not None and not ref.startswith(prefix)):
                return {} if ref in seen else None
            seen.add(ref)
            target = self.pointer(ref)
            if target is None:
                return {}
            # 3.1 allows siblings next to $ref: they refine the target
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            node = {**target, **siblings} if siblings and isinstance(target, dict) else target
        return node

    # -- content --------------------------------------------------------------------
    def operations(self, *, trace_twice: bool = False) -> Iterator[Operation]:
        """Operations, paths byte-sorted, methods in fault's order (GET, PUT, POST, ...)."""
        paths = self.doc.get("paths") or {}
        for path in sorted(paths, key=lambda p: str(p).encode("utf-8")):
            item = self.deref(paths[path])
            if not isinstance(item, dict):
                continue
            methods = METHOD_ORDER + (("trace",) if trace_twice else ())
            for method in methods:
                op = item.get(method)
                if isinstance(op, dict):
                    yield Operation(method.upper(), str(path), op, item, ["paths", str(path), method])

    def parameters(self, op: Operation) -> list[dict]:
        """Path-item and operation parameters merged (the operation wins per name+in)."""
        merged: dict[tuple, dict] = {}
        for source in (op.path_item.get("parameters"), op.operation.get("parameters")):
            for p in as_list(source):
                p = self.deref(p)
                if isinstance(p, dict) and isinstance(p.get("name"), str):
                    merged[(p["name"], str(p.get("in")))] = p
        return list(merged.values())

    def servers(self, op: Operation | None = None) -> list[str]:
        """Server URLs (operation, then path item, then root), variables expanded with their defaults,
        relative URLs resolved against the document's URL (``http://localhost`` for files)."""
        servers = None
        for holder in ((op.operation, op.path_item) if op else ()) + (self.doc,):
            if isinstance(holder.get("servers"), list) and holder["servers"]:
                servers = holder["servers"]
                break
        out = []
        for s in servers or []:
            if not isinstance(s, dict) or not isinstance(s.get("url"), str):
                continue
            variables = as_dict(s.get("variables"))

            def expand(m, variables=variables):
                var = variables.get(m.group(1))
                default = var.get("default") if isinstance(var, dict) else None
                return str(default) if default is not None else m.group(0)

            url = _VAR.sub(expand, s["url"])
            try:
                if not urlsplit(url).scheme:  # relative: against the spec URL (or localhost, like fault)
                    url = urljoin(self.url or "http://localhost", url)
            except ValueError:  # e.g. a bad IPv6 literal: leave it to the URL check
                pass
            out.append(url)
        return out

    def raw_server(self) -> str | None:
        """``servers[0].url`` verbatim (what fault uses)."""
        servers = self.doc.get("servers")
        if isinstance(servers, list) and servers and isinstance(servers[0], dict):
            url = servers[0].get("url")
            return url if isinstance(url, str) else None
        return None


def _parse(text: str, source: str, *, json_first: bool) -> Any:
    import yaml

    if json_first:
        try:
            return json.loads(text)
        except ValueError as exc:
            raise OpenAPIError(source, [], f"invalid JSON: {exc}", expected="an OpenAPI JSON document") from None
    try:
        return _str_keys(yaml.safe_load(text))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise OpenAPIError(source, [], f"invalid YAML{where}: {getattr(exc, 'problem', exc)}") from None


def _str_keys(node: Any) -> Any:
    # YAML turns `200:` into an int key and `2024-01-01` into a date; OpenAPI means strings
    import datetime

    if isinstance(node, dict):
        return {str(k): _str_keys(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_str_keys(v) for v in node]
    if isinstance(node, (datetime.date, datetime.datetime)):
        return node.isoformat()
    return node


def load_openapi(spec: Any, *, timeout: float = 30.0) -> OpenAPI:
    """Load an OpenAPI document from a URL, a file path, a dict or an :class:`OpenAPI`.

    >>> api = load_openapi("http://localhost:9090/openapi.json")  # doctest: +SKIP
    """
    if isinstance(spec, OpenAPI):
        return spec
    if isinstance(spec, dict):
        return OpenAPI(spec)
    if isinstance(spec, (str, os.PathLike)):
        text = os.fspath(spec)
        if isinstance(spec, str) and re.match(r"^https?://", text, re.I):
            import httpx

            try:
                response = httpx.get(text, timeout=timeout, follow_redirects=True)
            except httpx.HTTPError as exc:
                raise OpenAPIError(text, [], f"cannot fetch the document: {exc}") from None
            if response.status_code >= 400:  # httpx's own message spans two lines and links to MDN
                raise OpenAPIError(text, [], f"cannot fetch the document: HTTP {response.status_code} "
                                             f"{response.reason_phrase}".rstrip())
            is_json = "json" in response.headers.get("content-type", "").lower()
            return OpenAPI(_parse(response.text, text, json_first=is_json), source=text, url=str(response.url))
        path = Path(text)
        try:
            body = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise OpenAPIError(path, [], "no such file", expected="an OpenAPI JSON or YAML file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise OpenAPIError(path, [], f"cannot read the file: {exc}") from None
        json_first = body.lstrip().startswith("{")
        return OpenAPI(_parse(body, str(path), json_first=json_first), source=str(path))
    raise OpenAPIError("<input>", [], f"cannot load an OpenAPI document from {type(spec).__name__}",
                       expected="a URL, a file path or a dict")
