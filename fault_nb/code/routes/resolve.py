"""Join the per-file route facts into :class:`Route` objects with their full paths.

Routers included from other modules, prefixes stacked (FastAPI ``include_router``,
Flask ``register_blueprint``, Express ``app.use``, Go groups), prefixes given as
constants resolved, FastAPI's own default operationIds, and the methods of a Flask
class-based view as Flask computes them.
"""
from __future__ import annotations

import re
from typing import Any

from ..symbols import ModuleTable, js_import_target
from ._base import HTTP_METHODS, JS_GRAMMARS, Route

def fastapi_operation_id(name: str, path: str, method: str) -> str:
    """FastAPI's default ``generate_unique_id``: ``f"{name}{path_format}"``, non-word chars -> ``_``.

    >>> fastapi_operation_id("read_user", "/users/{user_id}", "GET")
    'read_user_users__user_id__get'
    """
    path_format = re.sub(r"\{([^}:]+)(:[^}]*)?\}", r"{\1}", path)
    return re.sub(r"\W", "_", f"{name}{path_format}") + f"_{method.lower()}"


def resolve_routes(files: dict[str, dict], table: ModuleTable) -> list[Route]:
    """Join the per-file facts into routes with full paths.

    ``files`` maps a file to ``{"lang", "imports", "exports", "routes": facts}``.
    """
    objects: dict[tuple[str, str], dict] = {}
    others: dict[tuple[str, str], dict] = {}  # JS objects made by other calls (`axios.create()`): not routers
    for rel, f in files.items():
        for var, obj in (f.get("routes") or {}).get("objects", {}).items():
            objects[(rel, var)] = obj
        for var in (f.get("routes") or {}).get("others", []):
            others[(rel, var)] = {}

    def resolve(rel: str, expr: str, depth: int = 0, known: dict | None = None) -> tuple[str, str] | None:
        """The (file, name) that ``expr`` in ``rel`` stands for among ``known`` (default: app/router objects)."""
        known = objects if known is None else known
        if (rel, expr) in known:
            return rel, expr
        if depth > 4:
            return None
        f = files.get(rel) or {}
        imports, lang = f.get("imports") or {}, f.get("lang")
        if expr.startswith("require:"):
            spec = expr[len("require:"):]
            target = js_import_target(rel, spec)
            target_file = table.resolve(target, lang)
            if target_file is None:
                return None
            name = (files.get(target_file) or {}).get("exports", {}).get("default")
            return resolve(target_file, name, depth + 1, known) if name else None
        if expr in imports:
            target, name = table.resolve_import(imports[expr], lang)
            if target is None or name is None:
                return None
            if lang in JS_GRAMMARS:
                name = (files.get(target) or {}).get("exports", {}).get(name, name)
            return resolve(target, name, depth + 1, known)
        if "." in expr:
            head, attr = expr.rsplit(".", 1)
            if head in imports:
                target, name = table.resolve_import(imports[head], lang)
                if target is not None and name is None:
                    if lang in JS_GRAMMARS:
                        attr = (files.get(target) or {}).get("exports", {}).get(attr, attr)
                    return resolve(target, attr, depth + 1, known)
        return None

    by_name: dict[str, set[str]] = {}
    for f in files.values():
        for name, value in ((f.get("routes") or {}).get("constants") or {}).items():
            by_name.setdefault(name, set()).add(value)

    def constant(rel: str, expr: str | None) -> tuple[str | None, str]:
        """Value of a prefix given as a name (``API_PREFIX``, ``settings.API_V1_STR``) and a note."""
        if not expr:
            return None, ""
        f = files.get(rel) or {}
        consts = (f.get("routes") or {}).get("constants") or {}
        imports, lang = f.get("imports") or {}, f.get("lang")
        if expr in consts:
            return consts[expr], ""
        if expr in imports:
            target, name = table.resolve_import(imports[expr], lang)
            value = (((files.get(target) or {}).get("routes") or {}).get("constants") or {}).get(name or "")
            if value is not None:
                return value, ""
        values = by_name.get(expr.rsplit(".", 1)[-1], set())
        if len(values) == 1:
            value = next(iter(values))
            return value, f"prefix {expr} taken as {value!r} (the only string constant of that name)"
        return None, f"prefix {expr} is not a literal; paths may lack it"

    parents: dict[tuple[str, str], list[tuple[tuple[str, str], str | None, str]]] = {}
    for rel, f in files.items():
        for var, obj in ((f.get("routes") or {}).get("objects") or {}).items():
            if obj.get("prefix_expr"):
                value, note = constant(rel, obj["prefix_expr"])
                obj = objects[(rel, var)] = {**obj, "prefix": value or "", "note": note}
        for inc in (f.get("routes") or {}).get("includes", []):
            p, c = resolve(rel, inc["parent"]), resolve(rel, inc["child"])
            if p is not None and c is not None and p != c:
                pre, note = inc["prefix"], ""
                if pre is None and inc.get("prefix_expr"):
                    pre, note = constant(rel, inc["prefix_expr"])
                parents.setdefault(c, []).append((p, pre, note))

    def prefixes(key: tuple[str, str], seen: frozenset) -> list[tuple[str, str]]:
        obj = objects[key]
        own = obj.get("prefix") or ""
        own_note = obj.get("note") or ""
        ups = [(p, pre, n) for p, pre, n in parents.get(key, []) if p not in seen]
        if not ups:
            note = "" if obj["kind"].endswith("_app") else \
                f"{obj['kind'].split('_')[1]} {key[1]!r} is not included in any app found; its path may lack a prefix"
            return [(own, "; ".join(filter(None, [own_note, note])))]
        out = []
        for p, pre, inc_note in ups:
            for base, note in prefixes(p, seen | {key}):
                note = "; ".join(filter(None, [note, inc_note, own_note]))
                if obj["kind"] == "flask_blueprint" and pre is not None:
                    out.append((base + pre, note))  # register_blueprint(url_prefix=) replaces the bp's own
                else:
                    out.append((base + (pre or "") + own, note))
        return out

    views = _ClassViews(files, lambda rel, expr, known: resolve(rel, expr, known=known))

    nest_prefixes = sorted({"/" + g.strip("/") for f in files.values()
                            if (g := (f.get("routes") or {}).get("global_prefix"))})
    routes: list[Route] = []
    for rel, f in files.items():
        facts = f.get("routes") or {}
        for r in facts.get("routes", []):
            key = resolve(rel, r["obj"]) if r["obj"] else None
            if key is not None:
                framework = _root_kind(key, parents, objects).split("_")[0]
                bases = prefixes(key, frozenset())
            elif not r["obj"]:  # the path is complete where it is declared (Spring, http.HandleFunc)
                framework, bases = r.get("hint"), [("", "")]
                if framework == "nest" and nest_prefixes:
                    bases = [(p, "" if len(nest_prefixes) == 1 else "several setGlobalPrefix() calls")
                             for p in nest_prefixes]
            else:
                if r.get("hint") == "express" and not _maybe_express(rel, r, f, others, resolve, table):
                    continue
                framework = r.get("hint") or _framework_from_imports(f)
                bases = [("", f"object {r['obj']!r} could not be resolved; prefixes unknown")]
            if framework is None:
                continue
            view = views.find(rel, r["view_class"]) if r.get("view_class") else None
            methods = r["methods"]
            if view is not None and r.get("methods_from_class"):
                methods = views.methods(view)  # as Flask's MethodView and add_url_rule decide
            for base, note in bases:
                path = _join(base, r["path"])
                for method in methods:
                    opid, explicit = r.get("operation_id"), bool(r.get("operation_id"))
                    if not opid and framework == "fastapi":
                        opid = fastapi_operation_id(r.get("name") or r["function"], path, method)
                    where = (rel, r["function"], r["start_line"], r["end_line"])
                    view_note = ""
                    if view is not None:
                        where, view_note = views.handler(view, method, where)
                    routes.append(Route(method, path, where[0], where[1], where[2], where[3],
                                        framework, opid, explicit, "; ".join(filter(None, [note, view_note]))))
    return routes


def _maybe_express(rel: str, r: dict, f: dict, others: dict, resolve: Any, table: ModuleTable) -> bool:
    """Whether an Express-shaped call on an object not traced to ``express()``/``Router()`` may be a route.

    Not when its arguments are data or its value is used (``await client.post('/x', body)``), when the
    object is made elsewhere by another call (``export const api = axios.create()``), or when it is
    imported from a package other than express (``import axios from 'axios'``)."""
    if r.get("declared") is False:
        return False
    if resolve(rel, r["obj"], known=others) is not None:
        return False
    imports = f.get("imports") or {}
    head = r["obj"].split(".", 1)[0]
    if head in imports:
        target = imports[head][0]
        if table.resolve(target, f.get("lang")) is None and "express" not in str(target):
            return False
    return True


def _root_kind(key: tuple[str, str], parents: dict, objects: dict) -> str:
    """The kind of the app a router/group ends up in (a gin group is gin)."""
    seen = {key}
    while not objects[key]["kind"].endswith("_app"):
        ups = [p for p, *_ in parents.get(key, []) if p not in seen]
        if not ups:
            break
        key = ups[0]
        seen.add(key)
    return objects[key]["kind"]


def _framework_from_imports(f: dict) -> str | None:
    mods = " ".join(str(v[0]) for v in (f.get("imports") or {}).values())
    if "fastapi" in mods:
        return "fastapi"
    if "flask" in mods:
        return "flask"
    if "express" in mods:
        return "express"
    return None


def _join(base: str, path: str) -> str:
    if not base:
        return path or "/"
    if not path or path == "/":
        return base if path == "" or base.endswith("/") else base + path
    return base.rstrip("/") + "/" + path.lstrip("/")


# Flask's MethodView: which methods a class serves and which method of it runs
_FLASK_VIEW_ROOTS = {"MethodView", "View", "views.MethodView", "views.View", "flask.views.MethodView",
                     "flask.views.View"}


class _ClassViews:
    """Flask class-based views across files, resolved as Flask resolves them.

    ``methods``: the class's ``methods`` attribute when it sets one, else the union of
    its bases' ``methods`` and every HTTP handler it defines or inherits
    (``MethodView.__init_subclass__``); none at all means ``GET`` (``add_url_rule``).
    ``handler``: the method that runs (``dispatch_request``: ``get`` also serves ``HEAD``).
    """

    def __init__(self, files: dict[str, dict], resolve):
        self.classes = {(rel, name): info for rel, f in files.items()
                        for name, info in ((f.get("routes") or {}).get("classes") or {}).items()}
        self._resolve = resolve

    def find(self, rel: str, expr: str) -> tuple[str, str] | None:
        return self._resolve(rel, expr, self.classes)

    def _bases(self, key: tuple[str, str]) -> list[tuple[str, str] | str]:
        """Resolved bases in order; a base outside the indexed code stays its name."""
        return [self.find(key[0], b) or b for b in self.classes[key]["bases"]]

    def methods(self, key: tuple[str, str], seen: frozenset = frozenset()) -> list[str]:
        found = self._methods(key, seen)
        return [m.upper() for m in HTTP_METHODS if m.upper() in found] if found else ["GET"]

    def _methods(self, key: tuple[str, str], seen: frozenset) -> set[str]:
        info = self.classes[key]
        if info.get("methods") is not None:
            return set(info["methods"])
        out: set[str] = set()
        for base in self._bases(key):
            if isinstance(base, tuple) and base not in seen:
                out |= self._methods(base, seen | {key})
        return out | {m.upper() for m in HTTP_METHODS if self._defining(key, m, seen) is not None}

    def _defining(self, key: tuple[str, str], name: str, seen: frozenset) -> tuple[tuple[str, str], list[int]] | None:
        """The class (this one or the first base in MRO order) that defines ``name``, with its lines."""
        handlers = self.classes[key]["handlers"]
        if name in handlers:
            return key, handlers[name]
        for base in self._bases(key):
            if isinstance(base, tuple) and base not in seen:
                hit = self._defining(base, name, seen | {key})
                if hit is not None:
                    return hit
        return None

    def handler(self, key: tuple[str, str], method: str, fallback: tuple) -> tuple[tuple, str]:
        name = method.lower()
        hit = self._defining(key, name, frozenset())
        if hit is None and name == "head":
            hit = self._defining(key, "get", frozenset())
        if hit is None:
            unknown = [b for b in self._bases(key) if isinstance(b, str) and b not in _FLASK_VIEW_ROOTS]
            note = f"base {unknown[0]!r} of {key[1]} is not in the indexed code" if unknown else ""
            return fallback, note
        (file, cls), (start, end) = hit
        note = "" if cls == key[1] else f"{name} inherited from {cls}"
        return (file, f"{cls}.{name}", start, end), note
