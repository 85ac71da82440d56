"""Load the Voilà dashboard again and again and count the loads that never get ready.

Issue 13 saw one Voilà load in six hang past 300 s once. This looks for it: one Voilà server,
``--loads`` page loads of ``dashboard.ipynb`` (``--parallel`` at a time, each a fresh kernel),
each bounded by ``--budget`` seconds. It prints time-to-ready per load, the percentiles, and for
any load that did not get ready the progress text it stopped on and the server log's tail.

    .venv/bin/python scripts/voila_soak.py --loads 20 --parallel 2

Needs Chromium (``/usr/bin/chromium``) and Playwright for Python; never ``playwright install``.
Exit code 1 when a load hung or failed.
"""
from __future__ import annotations

import argparse
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from fault_nb._tools import stop_group
from fault_nb.results.report import percentile  # R-6, as every view

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def start_voila(base: Path) -> tuple[subprocess.Popen, str, str, Path]:
    from fault_nb.apps import free_port, wait_http
    from fault_nb.errors import ScenarioRunError
    from fault_nb.settings import isolated_environ

    root = base / "root"
    root.mkdir()
    for nb in (ROOT / "notebooks").glob("*.ipynb"):
        shutil.copy2(nb, root / nb.name)
    # no kernel reaches a real LLM, qdrant server or proxy: the dashboard runs offline as on Binder
    env = isolated_environ(os.environ, FAULT_NB_SHARED=str(ROOT / "examples"), FAULT_NB_OUT=str(base / "out"),
                           FAULT_NB_CACHE_DIR=str(base / "cache"), JUPYTER_RUNTIME_DIR=str(base / "runtime"),
                           NO_PROXY="127.0.0.1,localhost")
    port, token = free_port(), secrets.token_hex(16)
    log = base / "voila.log"
    with open(log, "wb") as fh:
        proc = subprocess.Popen([str(BIN / "voila"), "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1",
                                 f"--token={token}", str(root)], cwd=root, env=env, stdout=fh,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/?token={token}", proc, timeout=90, ready=lambda status: status == 200)
    except ScenarioRunError as exc:
        stop_group(proc)
        raise SystemExit(f"voila: {exc}:\n{log.read_text()[-3000:]}") from None
    return proc, url, token, log


def _text(locator, timeout_ms: float) -> str:
    """The first match's text, or "" while it is not (or no longer) on the page."""
    try:
        return locator.first.inner_text(timeout=timeout_ms) if locator.count() else ""
    except Exception:  # noqa: BLE001 - gone between count() and inner_text(): Voilà swapped the page
        return ""


def one_load(browser, url: str, token: str, budget: float) -> dict:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    started = time.monotonic()
    last = ""
    try:
        page.goto(f"{url}/voila/render/dashboard.ipynb?token={token}", timeout=budget * 1000)
        progress = page.locator(".fnb-dashboard .fnb-dash-progress")
        while time.monotonic() - started < budget:
            last = _text(progress, 1000) or _text(page.locator("#loading_text, .voila-spinner-text"), 500) or last
            if last.startswith("Ready:"):
                return {"ok": True, "seconds": time.monotonic() - started, "last": last}
            if "Stopped" in last or "Error" in last:
                break
            time.sleep(0.25)
        return {"ok": False, "seconds": time.monotonic() - started, "last": last}
    except Exception as exc:  # noqa: BLE001 - a failed load is a result, reported with the others
        return {"ok": False, "seconds": time.monotonic() - started, "last": f"{type(exc).__name__}: {exc}"[:300]}
    finally:
        context.close()  # closes the websocket: Voilà shuts the page's kernel down


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--loads", type=int, default=12)
    ap.add_argument("--parallel", type=int, default=1)
    ap.add_argument("--budget", type=float, default=300.0, help="seconds one load may take")
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    from fault_nb.plots import find_browser

    chromium = find_browser()
    if chromium is None:
        raise SystemExit("no Chromium found (apt-get install chromium); never `playwright install`")

    base = Path(tempfile.mkdtemp(prefix="voila-soak-"))
    proc, url, token, log = start_voila(base)
    results: list[dict] = []
    try:
        # one Playwright (and browser) per worker thread: the sync API is not shared across threads
        def worker(n: int) -> list[dict]:
            out = []
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=chromium, args=ARGS)
                try:
                    for i in range(n):
                        r = one_load(browser, url, token, args.budget)
                        out.append(r)
                        print(f"load: {'ready' if r['ok'] else 'NOT READY'} after {r['seconds']:.1f} s"
                              f" ({r['last'][:80]!r})", flush=True)
                finally:
                    browser.close()
            return out

        share = [args.loads // args.parallel + (1 if i < args.loads % args.parallel else 0)
                 for i in range(args.parallel)]
        with ThreadPoolExecutor(args.parallel) as pool:
            for chunk in pool.map(worker, share):
                results.extend(chunk)
    finally:
        stop_group(proc)
    ready = sorted(r["seconds"] for r in results if r["ok"])
    bad = [r for r in results if not r["ok"]]
    if ready:
        print(f"{len(ready)}/{len(results)} loads ready ({args.parallel} at a time); time to ready "
              f"median {percentile(ready, 50):.1f} s, p95 {percentile(ready, 95):.1f} s, max {ready[-1]:.1f} s")
    for r in bad:
        print(f"not ready after {r['seconds']:.1f} s, last shown: {r['last']!r}")
    if bad:
        print("voila log tail:\n" + log.read_text(errors="replace")[-3000:])
    shutil.rmtree(base, ignore_errors=True)
    return 1 if bad or not results else 0


if __name__ == "__main__":
    raise SystemExit(main())
