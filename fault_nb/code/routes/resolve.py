"""Join the per-file route facts into :class:`Route` objects with their full paths.

Routers included from other modules, prefixes stacked (FastAPI ``include_router``,
Flask ``register_blueprint``, Express ``app.use``, Go groups), prefixes given as
constants resolved, FastAPI's own default operationIds, and the methods of a Flask
class-based view as Flask computes them.
"""
from __future__ import annotations

import re

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
    for rel, f in files.items():
        for var, obj in (f.get("routes") or {}).get("objects", {}).items():
            objects[(rel, var)] = obj

    def resolve(rel: str, expr: str, depth: int = 0) -> tuple[str, str] | None:
        if (rel, expr) in objects:
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
            return resolve(target_file, name, depth + 1) if name else None
        if expr in imports:
            target, name = table.resolve_import(imports[expr], lang)
            if target is None or name is None:
                return None
            if lang in JS_GRAMMARS:
                name = (files.get(target) or {}).get("exports", {}).get(name, name)
            return resolve(target, name, depth + 1)
        if "." in expr:
            head, attr = expr.rsplit(".", 1)
            if head in imports:
                target, name = table.resolve_import(imports[head], lang)
                if target is not None and name is None:
                    if lang in JS_GRAMMARS:
                        attr = (files.get(target) or {}).get("exports", {}).get(attr, attr)
                    return resolve(target, attr, depth + 1)
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
                framework = r.get("hint") or _framework_from_imports(f)
                bases = [("", f"object {r['obj']!r} could not be resolved; prefixes unknown")]
            if framework is None:
                continue
            for base, note in bases:
                path = _join(base, r["path"])
                for method in r["methods"]:
                    opid, explicit = r.get("operation_id"), bool(r.get("operation_id"))
                    if not opid and framework == "fastapi":
                        opid = fastapi_operation_id(r.get("name") or r["function"], path, method)
                    routes.append(Route(method, path, rel, r["function"], r["start_line"], r["end_line"],
                                        framework, opid, explicit, note))
    return routes


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
