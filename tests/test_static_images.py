"""PNG copies of charts never hang: the browser is looked for first (as kaleido looks),
every render is bounded, and a missing or broken browser leaves interactive-only charts
with one notice. Each case runs in a fresh interpreter (kaleido's server is per process)
whose own run is bounded too."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

SCRIPT = r"""
import json, sys, time
import plotly.graph_objects as go
import plotly.io as pio
from fault_nb import plots

timeout = float(sys.argv[1])
t0 = time.monotonic()
renderer = plots.use_static_images(timeout=timeout)
fig = go.Figure(go.Bar(y=[1, 3, 2]))
bundles, times = [], []
for _ in range(3):
    t = time.monotonic()
    bundles.append(sorted(pio.renderers._build_mime_bundle(fig.to_dict())))
    times.append(time.monotonic() - t)
print(json.dumps({"renderer": renderer, "bundles": bundles, "times": times, "browser": plots.find_browser(),
                  "after": pio.renderers.default}))
"""


def _run(tmp_path, env_extra: dict, timeout: float = 5.0, limit: float = 180.0):
    env = {**os.environ, **env_extra}
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(timeout)], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=limit, stdin=subprocess.DEVNULL)
    wall = time.monotonic() - t0
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1]), proc.stderr, wall


def _notices(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("fault_nb:")]


def _fake_browser(tmp_path, body: str) -> str:
    exe = tmp_path / "chromium"
    exe.write_text("#!/bin/sh\n" + body + "\n")
    exe.chmod(0o755)
    return str(exe)


def test_no_browser_means_interactive_only_and_one_notice(tmp_path):
    # BROWSER_PATH is where kaleido's browser layer looks first; a path to nothing is no browser
    out, stderr, _ = _run(tmp_path, {"BROWSER_PATH": str(tmp_path / "no-such-chrome")})
    assert out["browser"] is None
    assert out["renderer"] == "fault_nb"
    assert all("image/png" not in b and "application/vnd.plotly.v1+json" in b for b in out["bundles"])
    notices = _notices(stderr)
    assert len(notices) == 1 and "no Chrome or Chromium found" in notices[0] and "interactive only" in notices[0]


def test_a_browser_that_never_answers_is_cut_off_once(tmp_path):
    # found, executable, but it never speaks the DevTools protocol: before, every render waited forever
    hang = _fake_browser(tmp_path, "exec sleep 30")
    out, stderr, wall = _run(tmp_path, {"BROWSER_PATH": hang}, timeout=3.0, limit=120.0)
    assert out["browser"] == hang and out["renderer"].endswith("+fault_nb_png")
    assert all("image/png" not in b and "application/vnd.plotly.v1+json" in b for b in out["bundles"])
    first, *rest = out["times"]
    assert first >= 3.0 and all(t < 1.0 for t in rest)  # only the first render waits, for the bound
    assert out["after"] == "fault_nb"
    notices = _notices(stderr)
    assert len(notices) == 1 and "longer than 3 s" in notices[0], stderr[-2000:]


def test_a_browser_that_crashes_is_reported_once(tmp_path):
    crash = _fake_browser(tmp_path, "echo 'cannot open display' >&2; exit 1")
    out, stderr, _ = _run(tmp_path, {"BROWSER_PATH": crash}, timeout=20.0, limit=120.0)
    assert all("image/png" not in b for b in out["bundles"])
    assert out["after"] == "fault_nb"
    notices = _notices(stderr)
    assert len(notices) == 1 and "has stopped" in notices[0], stderr[-2000:]
    assert out["times"][0] < 15.0  # seen at once, not after the 20 s bound


@pytest.mark.system("chromium")
def test_with_a_browser_every_chart_has_a_png_copy(tmp_path):
    out, stderr, _ = _run(tmp_path, {}, timeout=120.0, limit=400.0)
    assert out["renderer"] == "fault_nb+fault_nb_png"
    assert all("image/png" in b for b in out["bundles"]), stderr[-2000:]
    assert _notices(stderr) == []
