"""Scratch copies of the user's source tree, and scenarios retargeted at the copy's app.

The verification loop never writes into the folder the user gave: each variant
(baseline, one suggestion, all together) gets its own copy, patched there with
:meth:`fault_nb.review.Review.apply`.
"""
from __future__ import annotations

import copy
import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from ..errors import VerifyError

# never copied: version control, our own backups, caches that the copy rebuilds
SKIP_NAMES = frozenset({".git", ".hg", ".svn", ".fault-nb-backup", "__pycache__", ".pytest_cache",
                        ".mypy_cache", ".ruff_cache", ".ipynb_checkpoints"})
# linked, not copied: installed dependencies are large and the suggestions never patch them
LINK_NAMES = frozenset({"node_modules", ".venv", "venv"})


def copy_tree(source_dir: str | os.PathLike, dest: str | os.PathLike, *,
              exclude: list[Path] | None = None) -> Path:
    """Copy ``source_dir`` to ``dest`` (which must not exist); dependency folders become symlinks.

    ``exclude``: absolute folders left out (e.g. the output folder when it sits in the tree).

    >>> copy_tree("app/", "/tmp/verify/baseline")  # doctest: +SKIP
    """
    src = Path(source_dir).resolve()
    skip = {p.resolve() for p in (exclude or [])}
    links: list[Path] = []

    def ignore(folder: str, names: list[str]) -> set[str]:
        here = Path(folder)
        out = set()
        for n in names:
            if n in SKIP_NAMES or (here / n).resolve() in skip:
                out.add(n)
            elif n in LINK_NAMES and (here / n).is_dir():
                links.append((here / n).relative_to(src))
                out.add(n)
        return out

    dest = Path(dest)
    shutil.copytree(src, dest, ignore=ignore, symlinks=True)
    for rel in links:
        (dest / rel).symlink_to((src / rel).resolve(), target_is_directory=True)
    return dest


def _origin(url: str) -> str:
    u = urlsplit(url)
    return f"{u.scheme}://{u.netloc}"


def _hostport(value: str) -> str:
    from ..scenarios.proxy import normalise_upstream

    return normalise_upstream(value)


def app_origins(scenarios: list[dict], dependency_addrs: set[str]) -> list[str]:
    """The origins (``scheme://host:port``) the scenario calls go to, dependencies left out."""
    seen: list[str] = []
    for sc in scenarios:
        for item in sc.get("items") or []:
            url = str((item.get("call") or {}).get("url", ""))
            if not url or _hostport(url) in dependency_addrs:
                continue
            origin = _origin(url)
            if origin not in seen:
                seen.append(origin)
    return seen


def retarget(scenarios: list[dict], app_url: str, dependencies: dict[str, str]) -> list[dict]:
    """A copy of ``scenarios`` that calls ``app_url`` and names each dependency by its address.

    ``dependencies`` maps a dependency's env name (``INVENTORY_URL``) to its address
    (``host:port``). Call URLs keep their path and query; ``context.upstreams`` entries
    that named the old app address name the new one, entries that name a dependency
    become that dependency's ``host:port``, which is how the runner knows to put the
    item's faults on the dependency's proxy.

    >>> sc = [{"items": [{"call": {"url": "http://localhost:9090/a?x=1"},
    ...                   "context": {"upstreams": ["http://localhost:9090"]}}]}]
    >>> out = retarget(sc, "http://127.0.0.1:5000", {})
    >>> out[0]["items"][0]["call"]["url"], out[0]["items"][0]["context"]["upstreams"]
    ('http://127.0.0.1:5000/a?x=1', ['127.0.0.1:5000'])
    """
    addrs = set(dependencies.values())
    origins = app_origins(scenarios, addrs)
    if len(origins) > 1:
        raise VerifyError(f"the scenarios call {len(origins)} different apps ({', '.join(origins)}); "
                          "verification starts one app: give scenarios of that app only")
    old = {_hostport(o) for o in origins}
    new_u = urlsplit(app_url)
    out = copy.deepcopy(list(scenarios))
    for sc in out:
        for item in sc.get("items") or []:
            call = item.get("call") or {}
            url = str(call.get("url", ""))
            if url and _hostport(url) in old:
                u = urlsplit(url)
                call["url"] = urlunsplit((new_u.scheme, new_u.netloc, u.path, u.query, u.fragment))
            ctx = item.get("context")
            if isinstance(ctx, dict) and ctx.get("upstreams"):
                ups = []
                for entry in ctx["upstreams"]:
                    text = str(entry).strip()
                    if _hostport(text) in old:
                        ups.append(f"{new_u.hostname}:{new_u.port or 80}")
                    else:
                        ups.append(_hostport(text) if _hostport(text) in addrs else text)
                ctx["upstreams"] = ups
    return out


def faulted_dependencies(scenarios: list[dict], dependencies: dict[str, str]) -> set[str]:
    """Env names of the dependencies some item faults (after :func:`retarget`)."""
    by_addr = {a: n for n, a in dependencies.items()}
    names = set()
    for sc in scenarios:
        for item in sc.get("items") or []:
            ctx = item.get("context") or {}
            if ctx.get("faults"):
                names |= {by_addr[u] for u in ctx.get("upstreams") or [] if u in by_addr}
    return names
