"""Imports and exports of a file, and turning module names into files of the repo.

Facts are extracted per file (and cached with the file's hash); resolving a
module name to a file needs the whole file list, so it happens at load time in
:class:`ModuleTable`.
"""
from __future__ import annotations

import posixpath
from typing import Any

_JS = ("javascript", "typescript", "tsx")
_JS_EXTS = (".js", ".ts", ".jsx", ".tsx", ".mjs", ".cjs", ".mts", ".cts")


def _text(node: Any) -> str:
    return node.text.decode("utf-8", errors="replace")


def js_string(node: Any) -> str | None:
    """The value of a JS/TS string literal node (no template substitutions)."""
    if node is None:
        return None
    if node.type == "string":
        return "".join(_text(c) for c in node.named_children if c.type in ("string_fragment", "escape_sequence"))
    if node.type == "template_string" and not any(c.type == "template_substitution" for c in node.named_children):
        return _text(node)[1:-1]
    return None


def py_string(node: Any) -> str | None:
    """The value of a Python string literal (f-strings without fields, implicit concatenation)."""
    if node is None:
        return None
    if node.type == "concatenated_string":
        parts = [py_string(c) for c in node.named_children]
        return None if any(p is None for p in parts) else "".join(parts)
    if node.type != "string":
        return None
    if any(c.type == "interpolation" for c in node.named_children):
        return None
    return "".join(_text(c) for c in node.named_children if c.type in ("string_content", "escape_sequence"))


def python_module_name(rel: str) -> str:
    """``pkg/sub/mod.py`` -> ``pkg.sub.mod``; ``pkg/__init__.py`` -> ``pkg``."""
    mod = rel.rsplit(".", 1)[0].replace("/", ".")
    if mod.endswith(".__init__"):
        mod = mod[: -len(".__init__")]
    return mod


def extract_imports(rel: str, grammar: str, root: Any) -> dict[str, list]:
    """``{local name: [target, name]}`` for the file's top-level imports.

    Python targets are absolute dotted modules (relative imports resolved
    against the file's package); ``name`` is ``None`` for a module import.
    JS/TS targets are repo-relative paths without extension (or a bare package
    name); ``name`` is ``"default"``, ``"*"`` or the imported name.
    """
    out: dict[str, list] = {}
    if grammar == "python":
        package = python_module_name(rel)
        if not rel.endswith("__init__.py"):
            package = package.rpartition(".")[0]
        for node in _top_level(root, ("import_statement", "import_from_statement")):
            if node.type == "import_statement":
                for n in node.children_by_field_name("name"):
                    if n.type == "aliased_import":
                        out[_text(n.child_by_field_name("alias"))] = [_text(n.child_by_field_name("name")), None]
                    else:
                        out[_text(n)] = [_text(n), None]
                continue
            mod_node = node.child_by_field_name("module_name")
            if mod_node is None:
                continue
            if mod_node.type == "relative_import":
                dots = _text(mod_node).split(".")
                level = len(_text(mod_node)) - len(_text(mod_node).lstrip("."))
                base = package.split(".") if package else []
                base = base[: len(base) - (level - 1)] if level > 1 else base
                rest = ".".join(d for d in dots if d)
                module = ".".join([*base, rest] if rest else base)
            else:
                module = _text(mod_node)
            for n in node.children_by_field_name("name"):
                if n.type == "aliased_import":
                    out[_text(n.child_by_field_name("alias"))] = [module, _text(n.child_by_field_name("name"))]
                else:
                    out[_text(n)] = [module, _text(n)]
    elif grammar in _JS:
        def target(spec: str) -> str:
            return js_import_target(rel, spec)

        for node in _top_level(root, ("import_statement", "lexical_declaration", "variable_declaration")):
            if node.type == "import_statement":
                spec = js_string(node.child_by_field_name("source"))
                clause = next((c for c in node.named_children if c.type == "import_clause"), None)
                if spec is None or clause is None:
                    continue
                for c in clause.named_children:
                    if c.type == "identifier":
                        out[_text(c)] = [target(spec), "default"]
                    elif c.type == "namespace_import":
                        ident = next((x for x in c.named_children if x.type == "identifier"), None)
                        if ident is not None:
                            out[_text(ident)] = [target(spec), "*"]
                    elif c.type == "named_imports":
                        for s in c.named_children:
                            if s.type == "import_specifier":
                                name = _text(s.child_by_field_name("name"))
                                alias = s.child_by_field_name("alias")
                                out[_text(alias) if alias is not None else name] = [target(spec), name]
                continue
            for decl in node.named_children:
                if decl.type != "variable_declarator":
                    continue
                value = decl.child_by_field_name("value")
                if value is None or value.type != "call_expression":
                    continue
                fn = value.child_by_field_name("function")
                if fn is None or _text(fn) != "require":
                    continue
                args = value.child_by_field_name("arguments")
                spec = js_string(args.named_children[0]) if args is not None and args.named_children else None
                if spec is None:
                    continue
                name = decl.child_by_field_name("name")
                if name.type == "identifier":
                    out[_text(name)] = [target(spec), "default"]
                elif name.type == "object_pattern":
                    for p in name.named_children:
                        if p.type == "shorthand_property_identifier_pattern":
                            out[_text(p)] = [target(spec), _text(p)]
                        elif p.type == "pair_pattern":
                            k, v = p.child_by_field_name("key"), p.child_by_field_name("value")
                            if k is not None and v is not None:
                                out[_text(v)] = [target(spec), _text(k)]
    return out


def js_import_target(rel: str, spec: str) -> str:
    """``./routes/users.js`` imported from ``src/app.js`` -> ``src/routes/users`` (bare names unchanged)."""
    if not spec.startswith("."):
        return spec
    t = posixpath.normpath(posixpath.join(posixpath.dirname(rel), spec))
    for ext in _JS_EXTS:
        if t.endswith(ext):
            return t[: -len(ext)]
    return t


def extract_js_exports(root: Any) -> dict[str, str]:
    """``{exported name: local name}``; ``default`` for ``module.exports =`` / ``export default``."""
    out: dict[str, str] = {}
    for node in root.named_children:
        if node.type == "export_statement":
            value = node.child_by_field_name("value")
            decl = node.child_by_field_name("declaration")
            if value is not None and value.type == "identifier":
                out["default"] = _text(value)
            elif decl is not None:
                name = decl.child_by_field_name("name")
                if name is not None:
                    out[_text(name)] = _text(name)
                    if any(c.type == "default" for c in node.children):
                        out["default"] = _text(name)
                for d in decl.named_children:
                    if d.type == "variable_declarator":
                        n = d.child_by_field_name("name")
                        out[_text(n)] = _text(n)
            for clause in node.named_children:
                if clause.type == "export_clause":
                    for s in clause.named_children:
                        n, a = s.child_by_field_name("name"), s.child_by_field_name("alias")
                        if n is not None:
                            out[_text(a) if a is not None else _text(n)] = _text(n)
        elif node.type == "expression_statement" and node.named_children:
            a = node.named_children[0]
            if a.type != "assignment_expression":
                continue
            left, right = a.child_by_field_name("left"), a.child_by_field_name("right")
            lt = _text(left)
            if right is None:
                continue
            if lt == "module.exports" and right.type == "identifier":
                out["default"] = _text(right)
            elif lt == "module.exports" and right.type == "object":
                for p in right.named_children:
                    if p.type == "shorthand_property_identifier":
                        out[_text(p)] = _text(p)
                    elif p.type == "pair" and p.child_by_field_name("value").type == "identifier":
                        out[_text(p.child_by_field_name("key"))] = _text(p.child_by_field_name("value"))
            elif lt.startswith(("module.exports.", "exports.")) and right.type == "identifier":
                out[lt.rsplit(".", 1)[1]] = _text(right)
    return out


def _top_level(root: Any, types: tuple[str, ...]) -> list[Any]:
    """Statements of those types at module level, also inside ``if``/``try`` blocks."""
    out = []
    stack = list(reversed(root.named_children))
    while stack:
        n = stack.pop()
        if n.type in types:
            out.append(n)
        elif n.type in ("if_statement", "try_statement", "block", "else_clause", "except_clause",
                        "finally_clause", "elif_clause", "export_statement"):
            stack.extend(reversed(n.named_children))
    return out


class ModuleTable:
    """Resolves import targets to files of the repo.

    >>> t = ModuleTable(["app/main.py", "app/routers/users.py", "web/routes/index.js"])
    >>> t.resolve("app.routers.users", "python"), t.resolve("web/routes/index", "javascript")
    ('app/routers/users.py', 'web/routes/index.js')
    """

    def __init__(self, files: list[str]):
        self.py: dict[str, str | None] = {}
        self.py_suffix: dict[str, str | None] = {}
        self.files = set(files)
        for rel in files:
            if rel.endswith((".py", ".pyi")):
                mod = python_module_name(rel)
                self.py[mod] = rel
                parts = mod.split(".")
                for i in range(1, len(parts)):
                    suf = ".".join(parts[i:])
                    self.py_suffix[suf] = rel if suf not in self.py_suffix else None

    def resolve(self, target: str, lang: str) -> str | None:
        if lang == "python":
            if target in self.py:
                return self.py[target]
            return self.py_suffix.get(target)
        if lang in _JS:
            for cand in [target + e for e in _JS_EXTS] + [f"{target}/index{e}" for e in _JS_EXTS] + [target]:
                if cand in self.files:
                    return cand
        return None

    def resolve_import(self, imp: list, lang: str) -> tuple[str | None, str | None]:
        """(file, name in that file) for an import record; name None = the module itself."""
        target, name = imp
        if lang == "python":
            if name is not None:
                sub = self.resolve(f"{target}.{name}", lang)
                if sub is not None:  # `from pkg import module`
                    return sub, None
            return self.resolve(target, lang), name
        if name == "*":
            return self.resolve(target, lang), None
        return self.resolve(target, lang), name
