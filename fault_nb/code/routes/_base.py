"""What every ecosystem's route extractor shares: the Route record, node text, query matches."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..parsing import query

HTTP_METHODS = ("get", "post", "put", "delete", "patch", "head", "options", "trace")
JS_GRAMMARS = ("javascript", "typescript", "tsx")


@dataclass
class Route:
    """One (method, full path) served by one handler function."""

    method: str
    path: str
    file: str
    function: str
    start_line: int
    end_line: int
    framework: str
    operation_id: str | None = None
    explicit_operation_id: bool = False
    note: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def text(node: Any) -> str:
    return node.text.decode("utf-8", errors="replace")


def matches(grammar: str, src: str, root: Any) -> list[dict[str, list[Any]]]:
    """Every match of the tree-sitter query ``src`` under ``root``, as capture name -> nodes."""
    from tree_sitter import QueryCursor

    return [m for _, m in QueryCursor(query(grammar, src)).matches(root)]


def join_path(*parts: str | None) -> str:
    """``/`` + the non-empty parts without their slashes (``("users", "/:id")`` -> ``/users/:id``)."""
    return "/" + "/".join(p.strip("/") for p in parts if p and p.strip("/"))


def no_facts() -> dict:
    return {"objects": {}, "routes": [], "includes": []}
