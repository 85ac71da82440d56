"""Java (Spring) checks of the rules reviewer: RestTemplate, WebClient and java.net.http clients built
without connect or read timeouts."""
from __future__ import annotations

import re
from typing import Any

from ._syntax import Finding, Project, _ancestor, _edit, _enclosing_name, _in_ranges, _line_ranges, _nodes_of, _Src
from .edits import Edit

_FACTORY = "boundedRequestFactory"
_CONNECT_MS = 2000


def _class_of(node: Any) -> Any | None:
    return _ancestor(node, ("class_declaration",))


def _in_scope(src: _Src, node: Any, ranges: list) -> bool:
    """In a scoped method, or a field initializer or constructor of a class that has one (Spring builds
    the clients of a bean there)."""
    if _in_ranges(node, ranges):
        return True
    if _ancestor(node, ("field_declaration", "constructor_declaration")) is None:
        return False
    cls = _class_of(node)
    if cls is None:
        return False
    return any(a <= b and not (b < cls.start_point[0] + 1 or a > cls.end_point[0] + 1) for a, b in ranges)


def java_findings(src: _Src, names: set[str], timeout_s: float, project: Project | None = None) -> list[Finding]:
    """Java: ``new RestTemplate()``, ``WebClient.create()``/``builder()`` without a connector,
    ``HttpClient.newHttpClient()``/``newBuilder()`` without ``connectTimeout``, ``HttpRequest`` without
    ``timeout``; in scoped methods and the fields of their classes."""
    ranges = _line_ranges(names)
    read_ms = int(round(timeout_s * 1000))
    connect_ms = min(_CONNECT_MS, read_ms)
    reqs = project.requirements() if project is not None else ""
    out: list[Finding] = []
    duration = "Duration" if re.search(r"^import\s+java\.time\.(Duration|\*)\s*;", src.text, re.M) else "java.time.Duration"
    java_net = re.search(r"^import\s+java\.net\.http\.(HttpClient|\*)\s*;", src.text, re.M) is not None
    for node in _nodes_of(src, "object_creation_expression"):
        typ = node.child_by_field_name("type")
        args = node.child_by_field_name("arguments")
        if typ is None or src.t(typ) != "RestTemplate" or args is None or args.named_children or \
                not _in_scope(src, node, ranges):
            continue
        holder = _ancestor(node, ("method_declaration", "constructor_declaration", "class_declaration"))
        if holder is not None and re.search(r"\.setRequestFactory\s*\(", src.t(holder)):
            continue  # a factory (with its timeouts) is set right after
        edits = _rest_template_fix(src, node, args, connect_ms, read_ms)
        if edits is None:
            continue
        where = _enclosing_name(src, node)
        out.append(_finding(src, node, where, "`new RestTemplate()`",
                            f"`new RestTemplate()` uses a request factory with no connect and no read timeout: a "
                            "slow dependency holds the request thread for as long as the network does. Build it on "
                            f"a factory with a {connect_ms} ms connect and {read_ms} ms read timeout.", edits))
    for call in _nodes_of(src, "method_invocation"):
        if not _in_scope(src, call, ranges):
            continue
        obj = call.child_by_field_name("object")
        name = src.t(call.child_by_field_name("name"))
        chain = re.sub(r"\s+", "", src.t(call))
        where = _enclosing_name(src, call)
        if obj is not None and src.t(obj) == "WebClient" and name == "create":
            if not re.search(r"webflux|reactor-netty", reqs):
                continue
            inner = src.t(call.child_by_field_name("arguments"))[1:-1].strip()
            connector, imports = _connector(src, connect_ms, read_ms)
            new = "WebClient.builder()" + (f".baseUrl({inner})" if inner else "") + \
                f".clientConnector({connector}).build()"
            s, e = src.span(call)
            out.append(_finding(src, call, where, "`WebClient.create(...)`", _WEBCLIENT_WHY.format(
                c=connect_ms, r=read_ms), [_edit(src, s, e, new)] + imports))
        elif name == "build" and chain.startswith("WebClient.builder()") and "clientConnector" not in chain:
            if not re.search(r"webflux|reactor-netty", reqs) or _ancestor(call, ("method_invocation",)) is not None \
                    and re.sub(r"\s+", "", src.t(_ancestor(call, ("method_invocation",)))).startswith("WebClient.builder()"):
                continue
            connector, imports = _connector(src, connect_ms, read_ms)
            found = _before_build(src, call, where, "`WebClient.builder()...build()`", f".clientConnector({connector})",
                                  _WEBCLIENT_WHY.format(c=connect_ms, r=read_ms))
            if found is not None:
                found.edits += imports
            out.append(found)
        elif java_net and obj is not None and src.t(obj) == "HttpClient" and name == "newHttpClient":
            s, e = src.span(call)
            new = f"HttpClient.newBuilder().connectTimeout({duration}.ofMillis({connect_ms})).build()"
            out.append(_finding(src, call, where, "`HttpClient.newHttpClient()`", _HTTPCLIENT_WHY.format(c=connect_ms),
                                [_edit(src, s, e, new)]))
        elif java_net and name == "build" and chain.startswith("HttpClient.newBuilder()") and \
                "connectTimeout" not in chain:
            out.append(_before_build(src, call, where, "`HttpClient.newBuilder()...build()`",
                                     f".connectTimeout({duration}.ofMillis({connect_ms}))",
                                     _HTTPCLIENT_WHY.format(c=connect_ms)))
        elif name == "build" and chain.startswith("HttpRequest.newBuilder(") and ".timeout(" not in chain and \
                re.search(r"^import\s+java\.net\.http\.(HttpRequest|\*)\s*;", src.text, re.M):
            out.append(_before_build(src, call, where, "`HttpRequest.newBuilder()...build()`",
                                     f".timeout({duration}.ofMillis({read_ms}))",
                                     f"This request has no timeout: `HttpClient.send` waits for the answer as long as "
                                     f"the dependency takes. Bound it ({read_ms} ms)."))
    return [f for f in out if f is not None]


_WEBCLIENT_WHY = ("This WebClient uses Reactor Netty with no connect and no response timeout: a slow dependency "
                  "keeps the exchange open for as long as the network does. Give it a connector with a {c} ms "
                  "connect and {r} ms response timeout.")
_HTTPCLIENT_WHY = ("`java.net.http.HttpClient` has no connect timeout by default: connecting to an unreachable "
                   "dependency waits for the operating system's TCP timeout (minutes). Set one ({c} ms); bound each "
                   "`HttpRequest` with `.timeout(...)` too.")


_CONNECTOR_TYPES = ("org.springframework.http.client.reactive.ReactorClientHttpConnector",
                    "reactor.netty.http.client.HttpClient", "io.netty.channel.ChannelOption", "java.time.Duration")


def _connector(src: _Src, connect_ms: int, read_ms: int) -> tuple[str, list[Edit]]:
    """The connector expression, using imports where the simple name is free (else the qualified name)."""
    names, imports = {}, []
    for fq in _CONNECTOR_TYPES:
        simple = fq.rsplit(".", 1)[1]
        clash = re.search(rf"^import\s+(?!{re.escape(fq)}\s*;)[\w.]+\.{simple}\s*;", src.text, re.M) or \
            re.search(rf"\b(class|interface|enum|record)\s+{simple}\b", src.text)
        if clash:
            names[simple] = fq
            continue
        names[simple] = simple
        imports.append(fq)
    expr = (f"new {names['ReactorClientHttpConnector']}({names['HttpClient']}.create()"
            f".option({names['ChannelOption']}.CONNECT_TIMEOUT_MILLIS, {connect_ms})"
            f".responseTimeout({names['Duration']}.ofMillis({read_ms})))")
    edit = _imports_edit(src, imports)
    return expr, [edit] if edit is not None else []


def _imports_edit(src: _Src, fqcns: list[str]) -> Edit | None:
    """One edit adding the missing imports after the last import (or the package declaration)."""
    missing = [fq for fq in fqcns if not re.search(
        rf"^import\s+({re.escape(fq)}|{re.escape(fq.rsplit('.', 1)[0])}\.\*)\s*;", src.text, re.M)]
    if not missing:
        return None
    decls = [n for n in src.tree.root_node.children if n.type in ("import_declaration", "package_declaration")]
    if not decls:
        return None
    _, e = src.span(decls[-1])
    return _edit(src, e, e, "".join(f"\nimport {fq};" for fq in missing))


def _finding(src: _Src, node: Any, where: str, what: str, why: str, edits: list[Edit]) -> Finding:
    place = f"`{where}`" if where != "<module>" else "a field initializer"
    bound = "a timeout" if what.startswith("`HttpRequest") else "connect and read timeouts" \
        if not what.startswith("`HttpClient") else "a connect timeout"
    return Finding("java-client-timeout", "timeout", f"Give {what} in {place} {bound}", why,
                   src.rel, where, node.start_point[0] + 1, edits, 3.0)


def _before_build(src: _Src, call: Any, where: str, what: str, insert: str, why: str) -> Finding | None:
    name = call.child_by_field_name("name")
    obj = call.child_by_field_name("object")
    _, e = src.span(obj)
    # keep the chain's layout: `.build()` on its own line stays on its own line
    return _finding(src, call, where, what, why, [_edit(src, e, e, insert)]) if name is not None else None


def _rest_template_fix(src: _Src, node: Any, args: Any, connect_ms: int, read_ms: int) -> list[Edit] | None:
    cls = _class_of(node)
    if cls is None:
        return None
    body = cls.child_by_field_name("body")
    s, e = src.span(args)
    edits = [_edit(src, s, e, f"({_FACTORY}())")]
    if re.search(rf"\b{_FACTORY}\s*\(\s*\)\s*\{{", src.t(body)):
        return edits
    member = next((m for m in body.named_children if m.type != "comment"), None)
    ind = src.indent(member) if member is not None else "    "
    cls_ind = src.indent(cls)
    step = ind[len(cls_ind):] or "    "
    inner = ind + step
    method = (f"\n{ind}private static SimpleClientHttpRequestFactory {_FACTORY}() {{\n"
              f"{inner}SimpleClientHttpRequestFactory factory = new SimpleClientHttpRequestFactory();\n"
              f"{inner}factory.setConnectTimeout({connect_ms});\n"
              f"{inner}factory.setReadTimeout({read_ms});\n"
              f"{inner}return factory;\n{ind}}}\n")
    close = src.c(body.end_byte) - 1  # the class body's closing brace
    ls = src.text.rfind("\n", 0, close) + 1
    edits.append(_edit(src, ls, ls, method.lstrip("\n") if src.text[ls:close].strip() == "" else method))
    imp = _imports_edit(src, ["org.springframework.http.client.SimpleClientHttpRequestFactory"])
    return edits + ([imp] if imp else [])


def java_called_methods(src: _Src, names: set[str], project: Project) -> dict[str, set[str]]:
    """``{file: {method, "L<a>-<b>"}}`` for ``this.field.method(...)`` / ``field.method(...)`` calls of scoped
    methods whose field is declared with a project class (``private final PaymentService payments;``): the
    services a controller delegates to, which the index's call graph does not resolve by field type."""
    ranges = _line_ranges(names)
    fields: dict[str, str] = {}
    for decl in _nodes_of(src, "field_declaration"):
        typ = decl.child_by_field_name("type")
        for d in decl.children_by_field_name("declarator"):
            n = d.child_by_field_name("name")
            if typ is not None and n is not None:
                fields[src.t(n)] = src.t(typ)
    out: dict[str, set[str]] = {}
    folder = src.rel.rsplit("/", 1)[0] if "/" in src.rel else ""
    for call in _nodes_of(src, "method_invocation"):
        if not _in_ranges(call, ranges):
            continue
        obj = call.child_by_field_name("object")
        if obj is None:
            continue
        field_name = re.sub(r"^this\.", "", src.t(obj))
        cls = fields.get(field_name)
        if cls is None or not re.fullmatch(r"[A-Z]\w*", cls):
            continue
        rel = f"{folder}/{cls}.java" if folder else f"{cls}.java"
        other = project.src(rel, "java") if project.exists(rel) else None
        if other is None:
            continue
        method = src.t(call.child_by_field_name("name"))
        for m in _nodes_of(other, "method_declaration"):
            if other.t(m.child_by_field_name("name")) == method:
                out.setdefault(rel, set()).update({method, f"L{m.start_point[0] + 1}-{m.end_point[0] + 1}"})
    return out
