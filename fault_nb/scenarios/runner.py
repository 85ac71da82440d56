"""Run scenarios through the fault-injecting proxy and write results.json / report.md.

:func:`run_scenarios` does what ``fault scenario run`` does (spec D), with the
corrections fault_nb promises: every fault type acts on plain HTTP, each
fault honours its own ``period`` (for single/repeat too, relative to the item
start), and load is open-loop. The files it writes have fault's exact shape;
the only addition is an optional ``fault_nb`` member on load items
(``{"load": {requested_rps, achieved_rps, sent, completed, ...}}``), which
fault's reader ignores (see docs/internals.md).

>>> results = run_scenarios("scenario.yaml", result="results.json",
...                         report="report.md")  # doctest: +SKIP
>>> results.report()["scenario_summaries"][0]["item_summaries"][0]["final_status"]  # doctest: +SKIP
'Pass'
"""
from __future__ import annotations

import asyncio
import copy
import os
import threading
import time
from pathlib import Path
from typing import Any

from .._io import atomic_write
from ..errors import Cancelled, ScenarioFormatError, ScenarioRunError
from .faults import build_fault
from .period import parse_duration
from .proxy import ProxyHandle, normalise_upstream, start_proxy
from .strategies import LoadPlan, prepare_call, row_for, run_load, send, stepped_faults

# a call without `timeout` could wait forever on a blackhole; fault would hang, we stop here
SAFETY_TIMEOUT_S = 60.0
LOAD_WARMUP_S = 0.1  # a load item's clients start this long after its schedule (and fault clock) starts


def _load(path_or_scenarios: Any) -> tuple[list[dict], str]:
    from .model import load_scenarios

    if isinstance(path_or_scenarios, (list, tuple, dict)):
        source = "<memory>"
    elif isinstance(path_or_scenarios, os.PathLike) or "\n" not in str(path_or_scenarios):
        source = str(path_or_scenarios)
    else:
        source = "<text>"
    return list(load_scenarios(path_or_scenarios)), source


def _check(scenarios: list[dict], source: str) -> None:
    for i, sc in enumerate(scenarios):
        if not isinstance(sc, dict) or not isinstance(sc.get("items"), list):
            raise ScenarioFormatError(source, [i, "items"], "missing or not a list", expected="a list of items")
        for j, item in enumerate(sc["items"]):
            call = item.get("call") if isinstance(item, dict) else None
            if not isinstance(call, dict) or "url" not in call or "method" not in call:
                raise ScenarioFormatError(source, [i, "items", j, "call"], "missing call.method or call.url")
            ctx = item.get("context") or {}
            strategy = ctx.get("strategy") or {}
            mode = strategy.get("mode", "single")
            where = [i, "items", j, "context", "strategy"]
            if mode == "repeat":
                for k in ("step", "count"):
                    if strategy.get(k) is None:
                        raise ScenarioFormatError(source, where + [k], "required by the repeat strategy")
                for n, f in enumerate(ctx.get("faults") or []):
                    if f.get("type") == "latency" and f.get("mean") is None:
                        raise ScenarioFormatError(source, [i, "items", j, "context", "faults", n, "mean"],
                                                  "a repeat strategy steps latency means, so mean is required")
            elif mode == "load":
                if parse_duration(strategy.get("duration")) is None:
                    raise ScenarioFormatError(source, where + ["duration"], f"invalid duration {strategy.get('duration')!r}",
                                              expected="a duration such as 10s or 1m")
                for k in ("clients", "rps"):
                    if not isinstance(strategy.get(k), int) or strategy[k] < 1:
                        raise ScenarioFormatError(source, where + [k], f"invalid value {strategy.get(k)!r}",
                                                  expected="a positive integer")
            elif mode != "single":
                raise ScenarioFormatError(source, where + ["mode"], f"unknown mode {mode!r}",
                                          expected="single, repeat or load")
            _warn_unsupported(ctx, source, [i, "items", j, "context"])
            run_s = parse_duration(strategy.get("duration")) if mode == "load" else None
            for n, f in enumerate(ctx.get("faults") or []):
                try:
                    build_fault(f, run_s)
                except ScenarioFormatError as exc:
                    raise ScenarioFormatError(source, [i, "items", j, "context", "faults", n], exc.problem,
                                              expected=exc.expected) from None


def _warn_unsupported(ctx: dict, source: str, where: list) -> None:
    """Say so, rather than silently run an item differently from what it asks."""
    import warnings

    from ..errors import _json_path
    from .model import ScenarioWarning

    if ctx.get("runs_on"):
        warnings.warn(f"{source}: {_json_path(where + ['runs_on'])}: fault_nb does not deploy proxies to "
                      "Kubernetes; the item runs locally with its faults on the local proxy", ScenarioWarning,
                      stacklevel=4)
    if (ctx.get("proxy") or {}).get("proxies"):
        warnings.warn(f"{source}: {_json_path(where + ['proxy', 'proxies'])}: TCP proxy mappings are not "
                      "started by fault_nb's runner (HTTP items still go through the fault proxy)",
                      ScenarioWarning, stacklevel=4)


def _run_sync(make_coro) -> Any:
    """Run a coroutine to completion, also when this thread already runs a loop (Jupyter).

    In a notebook the kernel's loop is running, so the item runs on a fresh
    loop in a helper thread; a kernel interrupt cancels it and is re-raised.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make_coro())
    box: dict = {}
    loop = asyncio.new_event_loop()

    def target() -> None:
        try:
            box["task"] = loop.create_task(make_coro())
            box["value"] = loop.run_until_complete(box["task"])
        except BaseException as exc:  # handed back to the caller's thread
            box["error"] = exc
        finally:
            loop.close()

    worker = threading.Thread(target=target, name="fault-nb-runner", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.1)
    except KeyboardInterrupt:
        if "task" in box:
            loop.call_soon_threadsafe(box["task"].cancel)
        worker.join(10)
        raise
    if "error" in box:
        raise box["error"]
    return box["value"]


def _duration(seconds: float) -> dict:
    secs = int(seconds)
    return {"secs": secs, "nanos": int(round((seconds - secs) * 1e9)) % 1_000_000_000}


async def _run_item(item: dict, config: dict | None, proxy: ProxyHandle,
                    progress: bool = False, draw_prefix: str = "0:0",
                    dependencies: dict | None = None) -> tuple[dict, dict | None]:
    """The ItemResult in fault's shape, and our own load record (None unless load).

    Request ``i`` of the item is named ``<draw_prefix>:<i>`` (``scenario:item:i``) for the
    proxy's seeded random streams.
    """
    ctx = item.get("context") or {}
    faults = list(ctx.get("faults") or [])
    upstreams = list(ctx.get("upstreams") or [])
    strategy = ctx.get("strategy") or {"mode": "single"}
    mode = strategy.get("mode", "single")
    expect = item.get("expect")
    call = prepare_call(item, config)
    if call.timeout is None:
        call.timeout = SAFETY_TIMEOUT_S
    via_proxy = not ((ctx.get("proxy") or {}).get("disable_http_proxies")) and call.scheme == "http"
    run_s = parse_duration(strategy.get("duration")) if mode == "load" else None
    started = time.perf_counter()
    t0 = time.monotonic()  # the fault periods' clock; the load schedule is anchored to the same instant
    proxy.set_faults(faults, upstreams=[normalise_upstream(u) for u in upstreams], run_seconds=run_s, t0=t0)
    mirror = _dependency_mirror(dependencies, upstreams, run_s, t0)
    mirror(faults)
    rows: list[dict] = []
    failures = 0
    extra: dict | None = None
    if mode == "repeat":
        n = int(strategy["count"]) + (1 if strategy.get("add_baseline_call") else 0)
        for i in range(n):
            stepped = stepped_faults(faults, float(strategy["step"]), i)
            proxy.set_faults(stepped, upstreams=upstreams, t0=t0)
            mirror(stepped)
            out = None if call.error else await send(call, proxy, via_proxy=via_proxy,
                                                     draw=f"{draw_prefix}:{i}")
            row, failed = row_for(call, out, stepped, expect)
            rows.append(row)
            failures += failed
            if strategy.get("wait"):
                await asyncio.sleep(int(strategy["wait"]) / 1000.0)
    elif mode == "load":
        # fault's warm-up between the schedule start (t0) and the clients; the schedule counts from
        # t0 + warm-up whatever the sleep really took, so fault windows and rows share one origin
        await asyncio.sleep(LOAD_WARMUP_S)
        if call.error:
            rows.append(row_for(call, None, copy.deepcopy(faults), None, load=True)[0])
        else:
            plan = LoadPlan(run_s, int(strategy["clients"]), int(strategy["rps"]))
            bar = None
            if progress:
                from .._progress import tqdm  # tqdm.auto; notebook bars end as text

                bar = tqdm(total=len(plan.offsets()), desc="load", unit="req", leave=False)
            try:
                outcomes, stats = await run_load(call, proxy, plan, via_proxy=via_proxy,
                                                 on_sent=None if bar is None else lambda n: bar.update(1),
                                                 draw_prefix=draw_prefix, start_at=started + LOAD_WARMUP_S)
            finally:
                if bar is not None:
                    bar.close()
            rows = sorted((row_for(call, o, copy.deepcopy(faults), None, load=True)[0] for o in outcomes),
                          key=lambda r: r["start"])
            extra = {"load": stats}
    else:
        out = None if call.error else await send(call, proxy, via_proxy=via_proxy, draw=f"{draw_prefix}:0")
        row, failed = row_for(call, out, copy.deepcopy(faults), expect)
        rows.append(row)
        failures += failed
    result = {
        "target": {"address": str((item.get("call") or {}).get("url", ""))},
        "results": rows,
        "requests_count": len(rows) if mode != "single" else 1,
        "failure_counts": failures,
        "total_time": _duration(time.perf_counter() - started),
    }
    return result, extra


def _dependency_mirror(dependencies: dict | None, upstreams: list, run_s: float | None, t0: float):
    """Install an item's faults on the reverse proxies in front of the dependencies its ``upstreams`` name.

    ``dependencies`` maps a dependency's address (``host:port``) to the reverse proxy the app
    calls instead of it; the other dependencies' proxies get no faults for this item.
    """
    if not dependencies:
        return lambda faults: None
    named = {normalise_upstream(u) for u in upstreams}
    targets = {normalise_upstream(addr): dep for addr, dep in dependencies.items()}

    def mirror(faults: list) -> None:
        for addr, dep in targets.items():
            dep.set_faults(faults if addr in named else [], run_seconds=run_s, t0=t0)
    return mirror


def _cancelled(cancel: Any) -> bool:
    if cancel is None:
        return False
    is_set = getattr(cancel, "is_set", None)
    return bool(is_set() if callable(is_set) else cancel())


def _check_writable(path: Path) -> None:
    if path.is_dir():
        raise ScenarioRunError(f"{path}: is a directory (expected a file to write)")
    parent = path.parent
    while not parent.exists() and parent != parent.parent:  # atomic_write creates the missing folders
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise ScenarioRunError(f"{path}: cannot be written ({parent} is not a writable folder)")


def run_scenarios(path_or_scenarios: Any, *, result: str | os.PathLike | None = None,
                  report: str | os.PathLike | None = None, progress: bool = True,
                  proxy_port: int | None = None, seed: int | None = None,
                  dependencies: dict | None = None, cancel: Any = None):
    """Run every item of every scenario through the fault proxy; return :class:`Results`.

    ``path_or_scenarios``: a scenario file or folder, YAML text, or scenario
    dicts. ``result`` (``.json``/``.yaml``) and ``report`` (Markdown) are
    written atomically when given. On Ctrl-C the proxy stops, what has run so
    far is written, and the KeyboardInterrupt is raised again.

    ``seed``: every random decision of the proxy (latency and jitter draws, losses,
    the http-error coin, DNS failures) then depends only on (seed, scenario, item,
    request index), and the load schedule is deterministic, so two runs with one seed
    face the same fault sequence (common random numbers; :func:`fault_nb.compare`
    pairs their requests). The seed is recorded in the sidecar (``Results.extras["seed"]``).
    ``dependencies`` (``{"127.0.0.1:9191": reverse_proxy_handle}``): reverse proxies
    in front of the app's dependencies; an item whose ``context.upstreams`` names one
    of those addresses gets its faults on that proxy (the app's outbound hop).
    ``cancel`` (a ``threading.Event`` or a callable): checked before each item; when
    set, the run stops like on Ctrl-C and raises :class:`~fault_nb.errors.Cancelled`.

    >>> r = run_scenarios("scenario.yaml", result="results.json", seed=7)  # doctest: +SKIP
    """
    from ..results import Results

    if result is not None and Path(result).suffix.lower() not in (".json", ".yaml", ".yml"):
        raise ScenarioRunError(f"{result}: unsupported results extension (expected .json, .yaml or .yml)")
    for out in (result, report):  # before the run, not after it: a run's numbers are not lost to a bad path
        if out is not None:
            _check_writable(Path(out))
    scenarios, source = _load(path_or_scenarios)
    _check(scenarios, source)
    total_items = sum(len(s["items"]) for s in scenarios)
    bar = None
    if progress:
        from .._progress import tqdm  # tqdm.auto; notebook bars end as text

        bar = tqdm(total=total_items, desc="scenarios", unit="item")
    data: dict = {"start": int(time.time()), "end": 0, "results": []}
    extras: dict = {"load": []}
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ScenarioRunError(f"seed must be an integer, got {seed!r}")
        extras["seed"] = seed
    proxy = start_proxy([], port=proxy_port, seed=seed)
    interrupted: BaseException | None = None
    try:
        for sc in scenarios:
            entry = {"scenario": sc, "results": []}
            data["results"].append(entry)
            for item in sc["items"]:
                if _cancelled(cancel):
                    raise Cancelled("the scenario run was cancelled")
                if bar is not None:
                    bar.set_postfix_str(f"{sc.get('title', '')[:40]}: {(item.get('call') or {}).get('url', '')}")
                prefix = f"{len(data['results']) - 1}:{len(entry['results'])}"
                item_result, extra = _run_sync(lambda: _run_item(item, sc.get("config"), proxy, progress, prefix,
                                                                dependencies))
                if extra is not None:
                    extras["load"].append({"scenario_idx": len(data["results"]) - 1,
                                           "item_idx": len(entry["results"]), **extra["load"]})
                entry["results"].append(item_result)
                if bar is not None:
                    bar.update(1)
    except (KeyboardInterrupt, Cancelled) as exc:
        interrupted = exc
    finally:
        proxy.stop()
        if bar is not None:
            bar.close()
    if interrupted is not None:
        # keep results and scenario aligned: a half-run scenario keeps only the items that ran
        data["results"] = [{"scenario": {**e["scenario"], "items": e["scenario"]["items"][:len(e["results"])]},
                            "results": e["results"]} for e in data["results"] if e["results"]]
    data["end"] = int(time.time())
    results = Results.from_dict(data, source=str(result) if result else "<run>",
                                extras=extras if extras["load"] or "seed" in extras else None)
    _write(results, result, report)
    if interrupted is not None:
        raise interrupted
    return results


def _write(results, result, report) -> None:
    if result is not None:
        if Path(result).suffix.lower() == ".json":
            results.to_json(result)
        else:
            results.to_yaml(result)
    if report is not None:
        atomic_write(report, results.to_markdown())
