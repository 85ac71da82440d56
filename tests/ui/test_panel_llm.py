"""ReviewPanel with an LLM: the review engine's local OpenAI-compatible test server plays
the model (real sockets, SSE streaming). Streamed text shows in the panel, escaped."""
from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

pytest.importorskip("ipywidgets")

import fault_nb  # noqa: E402
from fault_nb.review.llm import LLMClient  # noqa: E402
from fault_nb.ui import ReviewPanel  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "fnb_llm_server", Path(__file__).resolve().parents[1] / "review" / "llm_server.py")
_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_mod)
LLMServer = _mod.LLMServer

FIND = 'engine = create_engine("sqlite:///./test.db")\n'
REPLACE = 'engine = create_engine("sqlite:///./test.db", pool_timeout=5)\n'
XSS = "<script>alert('title')</script>"


@pytest.fixture
def setup(tmp_path, fixtures_dir, shared):
    results = fault_nb.load_results(fixtures_dir / "results" / "seed_app.results.json")
    src = shutil.copytree(shared / "apps" / "webapp", tmp_path / "webapp")
    index = fault_nb.index_source(src, "python", endpoints=results, cache_dir=tmp_path / "cache", progress=False)
    with LLMServer() as server:
        llm = LLMClient(base_url=server.url, model="test-model", api_key="k", backoff=0.01)
        yield results, index, llm, server
    index.close()


def test_llm_review_streams_into_the_panel(setup, tmp_path):
    results, index, llm, server = setup
    answer = {"suggestions": [{
        "id": "pool", "title": f"Bound the pool wait {XSS}", "category": "timeout",
        "rationale": "E1: a slow database holds every pooled connection", "evidence": ["E1"],
        "dependencies": [], "edits": [{"file": "app.py", "find": FIND, "replace": REPLACE}]}]}
    server.push({"content": json.dumps(answer)})
    panel = ReviewPanel(results, index, llm=llm, out_dir=tmp_path / "out")
    assert "LLM test-model via openai-compatible (127.0.0.1)" in panel.header.value
    review = panel.run_review("read_user_users__user_id__get")
    assert panel.error.value == "", panel.error.value
    assert [s.status for s in review.suggestions] == ["verified"]
    assert server.chat_requests()[0]["body"].get("stream") is True
    # the streamed answer is on screen, escaped
    assert "pool_timeout=5" in panel.stream.value
    assert "<script>" not in panel.stream.value and "&lt;script&gt;" in panel.stream.value
    shown = panel.viewer.suggestions[0]
    assert shown["title"] == f"Bound the pool wait {XSS}"  # raw for the front-end's textContent
    assert f"+{REPLACE.rstrip()}" in shown["diff"]
    assert "<script>" not in panel._repr_mimebundle_()["text/html"]


def test_llm_failure_is_an_error_box(setup, tmp_path):
    results, index, llm, server = setup
    server.push(*[{"status": 401, "error": "invalid api key <b>k</b>"}] * 4)
    panel = ReviewPanel(results, index, llm=llm, out_dir=tmp_path)
    assert panel.run_review("read_user_users__user_id__get") is None
    assert "Review failed" in panel.error.value and "<b>k</b>" not in panel.error.value
