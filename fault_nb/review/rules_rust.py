"""Rust checks of the rules reviewer: reqwest calls and clients without a timeout."""
from __future__ import annotations

import re
from typing import Any

from ._syntax import Finding, Project, _ancestor, _edit, _enclosing_name, _in_ranges, _line_ranges, _nodes_of, _Src


def rust_findings(src: _Src, names: set[str], timeout_s: float, project: Project | None = None) -> list[Finding]:
    """Rust: ``reqwest::get``, ``reqwest::Client::new()`` and ``Client::builder()...build()`` without
    ``.timeout(...)``; in scoped functions and the statics they use."""
    ranges = _line_ranges(names)
    ms = int(round(timeout_s * 1000))
    has_duration = re.search(r"^use\s+std::time::(Duration|\{[^}]*\bDuration\b[^}]*\})\s*;", src.text, re.M)
    dur = f"{'' if has_duration else 'std::time::'}Duration::from_millis({ms})"
    scoped = "\n".join(ln for i, ln in enumerate(src.text.splitlines(), 1) if any(a <= i <= b for a, b in ranges))
    imports_client = re.search(r"^use\s+reqwest::(Client|\{[^}]*(?<!::)\bClient\b[^}]*\})\s*;", src.text, re.M) is not None
    out = []
    for call in _nodes_of(src, "call_expression"):
        if not _scoped(src, call, ranges, scoped):
            continue
        fn = call.child_by_field_name("function")
        name = re.sub(r"\s+", "", src.t(fn))
        where = _enclosing_name(src, call)
        args = src.t(call.child_by_field_name("arguments"))
        s, e = src.span(call)
        client = "Client" if imports_client else "reqwest::Client"
        built = f"{client}::builder().timeout({dur}).build().expect(\"reqwest client\")"
        if name == "reqwest::get":
            new = f"{built}.get({args[1:-1].strip()}).send()"
            what = "`reqwest::get`"
        elif (name == "reqwest::Client::new" or name == "Client::new" and imports_client) and args.strip() == "()":
            new, what = built, f"`{name}()`"
        elif fn.type == "field_expression" and name.endswith(".build") and "Client::builder()" in name \
                and ".timeout(" not in name:
            if "blocking::" in name:
                continue  # reqwest's blocking client has a 30 s default timeout
            obj = fn.child_by_field_name("value")
            _, oe = src.span(obj)
            out.append(_finding(src, call, where, "`reqwest::Client::builder()...build()`",
                                [_edit(src, oe, oe, f".timeout({dur})")], ms))
            continue
        else:
            continue
        out.append(_finding(src, call, where, what, [_edit(src, s, e, new)], ms))
    return out


def _scoped(src: _Src, node: Any, ranges: list, scoped: str) -> bool:
    if _in_ranges(node, ranges):
        return True
    item = _ancestor(node, ("static_item", "const_item"))
    if item is None:
        return False
    name = item.child_by_field_name("name")
    return name is not None and re.search(rf"\b{re.escape(src.t(name))}\b", scoped) is not None


def _finding(src: _Src, node: Any, where: str, what: str, edits: list, ms: int) -> Finding:
    place = "a static" if where == "<module>" else f"`{where}`"
    return Finding("rust-client-timeout", "timeout", f"Give {what} in {place} a timeout",
                   "reqwest's async client has no timeout by default: a slow or silent dependency holds the request "
                   f"(and its task and connection) for as long as the network does. Bound it ({ms} ms).",
                   src.rel, where, node.start_point[0] + 1, edits, 3.0)
