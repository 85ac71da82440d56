"""Read results.json / results.yaml and validate it exactly as fault's reader would.

Every problem becomes a :class:`~fault_nb.errors.ResultsFormatError` naming the
file, the JSON path of the bad field and what was expected. This module reads
bytes (size bound, encodings) and parses JSON/YAML; ``validate`` checks fields.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from .validate import _SURROGATE_ESCAPE, _fail, _find, _has_lone_surrogate, _NonFinite, validate

# Refuse files above this size: fault's own runs produce a few MB per 10k rows,
# and parsing needs several times the file size in memory, so a bigger file is
# almost surely not a results file and would take the notebook kernel down.
MAX_BYTES = 1 << 30
# A YAML alias may stand for a big subtree; this bounds the expanded node count
# so a "billion laughs" document fails fast instead of hanging the validator.
MAX_ALIAS_NODES = 100_000


# --------------------------------------------------------------------------- bytes


def read_text(path: Path) -> str:
    """Read a results file as text: size bound, encoding checks, UTF-8 BOM allowed."""
    file = str(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        _fail(file, (), "file not found", "an existing results.json or results.yaml")
    except OSError as exc:
        _fail(file, (), f"cannot read file: {exc.strerror or exc}")
    if path.is_dir():
        _fail(file, (), "is a directory", "a results.json or results.yaml file")
    if size > MAX_BYTES:
        _fail(file, (), f"file is {size} bytes, above the {MAX_BYTES >> 30} GiB limit",
              "a results file under 1 GiB (split the run into several scenario files)")
    try:
        data = path.read_bytes()
    except OSError as exc:
        _fail(file, (), f"cannot read file: {exc.strerror or exc}")
    return decode_bytes(data, file)


def decode_bytes(data: bytes, file: str) -> str:
    if not data.strip():
        _fail(file, (), "file is empty", "a JSON object with start, end and results")
    head = data[:4096]
    if head[:4] in (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"):
        _fail(file, (), "file is UTF-32 encoded, re-save as UTF-8", "UTF-8 text")
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        _fail(file, (), "file is UTF-16 encoded, re-save as UTF-8", "UTF-8 text")
    if b"\x00" in head:
        even, odd = head[0::2], head[1::2]
        if even.count(0) > len(even) // 3 or odd.count(0) > len(odd) // 3:
            _fail(file, (), "file looks UTF-16 encoded (NUL bytes between characters), re-save as UTF-8",
                  "UTF-8 text")
        _fail(file, (), "binary file (contains NUL bytes)", "a UTF-8 JSON or YAML text file")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        _fail(file, (), f"not UTF-8 text: byte 0x{data[exc.start]:02x} at offset {exc.start} (line {line}) "
              "is invalid; binary file or another encoding", "a UTF-8 JSON or YAML text file")
    raise AssertionError("unreachable")  # pragma: no cover


# --------------------------------------------------------------------------- parsing


def parse_json(text: str, file: str) -> tuple[Any, bool]:
    """Parse JSON text; NaN/Infinity literals become markers reported later with their path."""
    seen: list[bool] = []

    def constant(name: str) -> _NonFinite:
        seen.append(True)
        return _NonFinite(name)

    try:
        return json.loads(text, parse_constant=constant), bool(seen)
    except json.JSONDecodeError as exc:
        problem = f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        if exc.pos >= len(text.rstrip()):
            problem += " (end of file: the file looks truncated)"
        _fail(file, (), problem, "a complete JSON document")
    except RecursionError:
        _fail(file, (), "JSON nested too deeply", "a results.json as fault writes it")
    raise AssertionError("unreachable")  # pragma: no cover


def _yaml_loader(guarded: bool, tags: bool = False):
    import yaml

    from ._yaml import serde_like_loader

    base = yaml.SafeLoader if guarded else getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    # scalars resolve as serde_yaml reads them: yes/no, on/off, dates, 017, 1_000 stay strings
    Loader = serde_like_loader(base)
    # fault's ScenarioError entries are local tags (spec A.4b): !Variant value -> {"Variant": value}
    Loader.add_multi_constructor("!", _construct_variant)
    if tags:
        def construct_document(self, node):
            _check_tags(node)
            return base.construct_document(self, node)

        Loader.construct_document = construct_document
    if guarded:
        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                node = self.anchors.get(event.anchor)
                if node is not None:
                    self._alias_nodes = getattr(self, "_alias_nodes", 0) + _node_size(node, self)
                    if self._alias_nodes > MAX_ALIAS_NODES:
                        raise _AliasBomb(event.start_mark)
            return base.compose_node(self, parent, index)

        Loader.compose_node = compose_node
    return Loader


class _AliasBomb(Exception):
    def __init__(self, mark):
        self.mark = mark


class _ForeignTag(Exception):
    def __init__(self, path: tuple, tag: str, mark):
        self.path, self.tag, self.mark = path, tag, mark


_CORE = "tag:yaml.org,2002:"
_CORE_TAGS = frozenset(_CORE + t for t in ("str", "int", "float", "bool", "null", "map", "seq"))


def _construct_variant(loader, suffix: str, node):
    import yaml

    if isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    else:
        value = loader.construct_scalar(node)
    return {suffix: value}


def _check_tags(root) -> None:
    """Refuse every tag but fault's: !Variant of ScenarioError, or any !Name as an ``errors`` entry."""
    import yaml

    from ._yaml import SCENARIO_ERRORS

    seen: set[int] = set()
    stack = [(root, (), False)]
    while stack:
        node, path, in_errors = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        tag = node.tag or ""
        if tag.startswith("!") and not tag.startswith("!!"):
            if not (in_errors or tag[1:] in SCENARIO_ERRORS):
                raise _ForeignTag(path, tag, node.start_mark)
        elif tag not in _CORE_TAGS:
            raise _ForeignTag(path, "!!" + tag[len(_CORE):] if tag.startswith(_CORE) else tag, node.start_mark)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.append((key, path, False))
                stack.append((value, path + (key.value if isinstance(key, yaml.ScalarNode) else "?",), False))
        elif isinstance(node, yaml.SequenceNode):
            errors = path[-1:] == ("errors",)
            stack.extend((item, path + (i,), errors) for i, item in enumerate(node.value))


def _node_size(node, loader) -> int:
    cache = loader.__dict__.setdefault("_size_cache", {})
    key = id(node)
    if key in cache:
        return cache[key]
    import yaml

    if isinstance(node, yaml.MappingNode):
        n = 1 + sum(_node_size(k, loader) + _node_size(v, loader) for k, v in node.value)
    elif isinstance(node, yaml.SequenceNode):
        n = 1 + sum(_node_size(v, loader) for v in node.value)
    else:
        n = 1
    cache[key] = n
    return n


_ANCHOR = re.compile(r"(?:^|[\s\[\]{},])&", re.MULTILINE)


def parse_yaml(text: str, file: str) -> Any:
    """yaml.safe_load with a bound on alias expansion (see MAX_ALIAS_NODES)."""
    import yaml

    # An alias needs an anchor, and an anchor starts a token (after a space, a flow
    # indicator or a line start); without one the fast C loader is safe.
    guarded = _ANCHOR.search(text) is not None
    try:
        docs = list(yaml.load_all(text, Loader=_yaml_loader(guarded, tags="!" in text)))
    except _ForeignTag as exc:
        _fail(file, exc.path, f"YAML tag {exc.tag} (line {exc.mark.line + 1}) is not one fault writes; "
              "refusing it", "plain YAML values; tags only as fault writes ScenarioError entries "
              "(- !HTTPError message in an errors list)")
    except _AliasBomb as exc:
        _fail(file, (), f"YAML aliases expand to more than {MAX_ALIAS_NODES} nodes "
              f"(line {exc.mark.line + 1}); refusing a possible alias bomb",
              "a results.yaml without large anchors/aliases")
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        _fail(file, (), f"invalid YAML{where}: {exc.problem or exc}", "a complete YAML document")
    except yaml.YAMLError as exc:
        _fail(file, (), f"invalid YAML: {exc}", "a complete YAML document")
    except RecursionError:
        _fail(file, (), "YAML nested too deeply", "a results.yaml as fault writes it")
    if len(docs) != 1:
        _fail(file, (), f"YAML stream has {len(docs)} documents", "exactly one document")
    return docs[0]


def sniff_format(path: Path, text: str) -> str:
    ext = path.suffix.lower()
    if ext == ".json":
        return "json"
    if ext in (".yaml", ".yml"):
        return "yaml"
    head = text.lstrip("\ufeff \t\r\n")[:1]
    if head == "{":
        return "json"
    if text.lstrip().startswith(("start:", "end:", "results:")):
        return "yaml"
    _fail(str(path), (), f"unsupported file extension {ext or '(none)'!r} and the content is "
          "neither JSON nor results YAML", "a .json, .yaml or .yml results file")
    raise AssertionError("unreachable")  # pragma: no cover


def load_data(path: str | os.PathLike) -> dict:
    """Read, parse and validate a results file; returns the ScenariosResults dict."""
    p = Path(path)
    text = read_text(p)
    fmt = sniff_format(p, text)
    if fmt == "json":
        data, nonfinite = parse_json(text, str(p))
        # serde_json rejects an escaped lone surrogate; only then is the slow check needed
        surrogates = _SURROGATE_ESCAPE.search(text) is not None
    else:
        data, nonfinite, surrogates = parse_yaml(text, str(p)), False, False
    del text
    validate(data, str(p), nonfinite=nonfinite)
    if surrogates:
        where = _find(data, [], _has_lone_surrogate)
        if where is not None:
            _fail(str(p), where, "string holds a lone UTF-16 surrogate escape (\\ud800-\\udfff)",
                  "valid Unicode text")
    return data
