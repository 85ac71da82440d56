"""System packages some tests need (chromium, pandoc, wrk; unshare to hide a browser).

A test that needs one is marked ``@pytest.mark.system("pandoc")`` (browser tests get
``chromium`` automatically) or calls :func:`require_system`. When it is missing the
test is skipped with a one-line reason (a non-root user cannot apt-get it), and the
run ends with a count; ``FAULT_NB_REQUIRE_SYSTEM_TOOLS=1`` (set by .ci/run) turns
each such skip into a failure.
"""
from __future__ import annotations

import os
import subprocess

import pytest

REQUIRE_SYSTEM_TOOLS = "FAULT_NB_REQUIRE_SYSTEM_TOOLS"
SYSTEM_TOOLS = ("chromium", "pandoc", "wrk", "unshare")
_SKIP_PREFIX = "missing system package"
# "unshare": a private mount namespace, to hide the browser the way a machine without one is
_HOW = {"unshare": "util-linux unshare, run as root or with unprivileged user namespaces allowed"}
_found: dict[str, str | None] = {}


def system_tool(name: str) -> str | None:
    """Where the system package ``name`` is (for unshare: the command prefix that works), or None."""
    if name not in _found:
        if name == "chromium":  # the browser kaleido and the browser tests drive
            from fault_nb.plots import find_browser

            _found[name] = find_browser()
        elif name == "unshare":
            _found[name] = _mount_namespace()
        else:
            from fault_nb._tools import find_tool

            _found[name] = find_tool(name)
    return _found[name]


def _mount_namespace() -> str | None:
    for prefix in ("unshare --mount --propagation private", "unshare --user --map-root-user --mount"):
        try:
            ok = subprocess.run([*prefix.split(), "true"], capture_output=True, timeout=20).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            ok = False
        if ok:
            return prefix
    return None


def require_system(*tools: str) -> None:
    """Skip (or, with FAULT_NB_REQUIRE_SYSTEM_TOOLS=1, fail) unless every tool is installed."""
    from fault_nb._tools import INSTALL

    for name in tools:
        if name not in SYSTEM_TOOLS:
            raise ValueError(f"unknown system package {name!r}; expected one of {SYSTEM_TOOLS}")
    missing = [name for name in tools if system_tool(name) is None]
    if not missing:
        return
    how = {**INSTALL, **_HOW}
    reason = f"{_SKIP_PREFIX}: {', '.join(missing)} ({'; '.join(how[m] for m in missing)})"
    if os.environ.get(REQUIRE_SYSTEM_TOOLS) == "1":
        pytest.fail(f"{reason}, and {REQUIRE_SYSTEM_TOOLS}=1 makes that a failure", pytrace=False)
    raise pytest.skip.Exception(reason, _use_item_location=True)  # the test's file:line in -rs
