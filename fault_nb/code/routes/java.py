"""Route facts of Java files: Spring's mapping annotations, the class-level
``@RequestMapping`` joined with each method's ``@GetMapping``/``@PostMapping``/..."""
from __future__ import annotations

from typing import Any

from ._base import join_path, matches, text

_SPRING = {"GetMapping": "GET", "PostMapping": "POST", "PutMapping": "PUT", "DeleteMapping": "DELETE",
           "PatchMapping": "PATCH", "RequestMapping": None}

_JAVA_METHOD = "(method_declaration (modifiers) @mods name: (identifier) @name) @m"


def _spring_mapping(mods: Any) -> tuple[str | None, list[str], bool] | None:
    """(path, methods, found) of the Spring mapping annotation among ``mods``."""
    for a in mods.named_children:
        if a.type not in ("annotation", "marker_annotation"):
            continue
        name = text(a.child_by_field_name("name"))
        if name not in _SPRING:
            continue
        path, methods = "", ([_SPRING[name]] if _SPRING[name] else [])
        args = a.child_by_field_name("arguments")
        for arg in (args.named_children if args is not None else []):
            if arg.type == "string_literal":
                path = text(arg)[1:-1]
            elif arg.type == "element_value_pair":
                key, value = text(arg.child_by_field_name("key")), arg.child_by_field_name("value")
                if key in ("value", "path"):
                    lit = value if value.type == "string_literal" else next(
                        (c for c in value.named_children if c.type == "string_literal"), None)
                    path = text(lit)[1:-1] if lit is not None else path
                elif key == "method":
                    methods = [text(value).rsplit(".", 1)[-1]] if value.type == "field_access" else [
                        text(c).rsplit(".", 1)[-1] for c in value.named_children if c.type == "field_access"]
        return path, methods or ["ALL"], True
    return None


def spring_facts(root: Any) -> dict:
    routes: list[dict] = []
    for m in matches("java", _JAVA_METHOD, root):
        mapping = _spring_mapping(m["mods"][0])
        if mapping is None:
            continue
        path, methods, _ = mapping
        method_node = m["m"][0]
        cls = method_node.parent.parent if method_node.parent is not None else None
        prefix, cls_name = "", ""
        if cls is not None and cls.type in ("class_declaration", "interface_declaration"):
            cls_name = text(cls.child_by_field_name("name"))
            cls_mods = next((c for c in cls.named_children if c.type == "modifiers"), None)
            if cls_mods is not None:
                cls_map = _spring_mapping(cls_mods)
                prefix = cls_map[0] if cls_map else ""
        full = join_path(prefix, path)
        routes.append({"obj": None, "methods": methods, "path": full,
                       "function": f"{cls_name}.{text(m['name'][0])}" if cls_name else text(m["name"][0]),
                       "start_line": method_node.start_point[0] + 1, "end_line": method_node.end_point[0] + 1,
                       "operation_id": None, "name": None, "hint": "spring"})
    return {"objects": {}, "routes": routes, "includes": []}
