"""fault_nb.settings: every variable in one place, read at the edges; one key rule; one retry policy."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from fault_nb.errors import CodeIndexError, SettingsError
from fault_nb.settings import VARIABLES, Settings, openai_key_for


def test_nothing_configured_and_every_value_from_one_mapping():
    s = Settings.from_env({})
    assert not s.llm.configured and s.embed.kind is None and s.qdrant_url is None
    s = Settings.from_env({"FAULT_NB_LLM_BASE_URL": "http://127.0.0.1:8080/v1/", "FAULT_NB_LLM_MODEL": "m",
                           "FAULT_NB_LLM_TIMEOUT": "30", "FAULT_NB_LLM_DEADLINE": "300",
                           "FAULT_NB_LLM_MAX_TOKENS": "512", "FAULT_NB_LLM_CONTEXT": "8192",
                           "FAULT_NB_EMBED_MODEL": "minilm", "QDRANT_URL": "http://q:6333"})
    assert (s.llm.base_url, s.llm.timeout, s.llm.deadline, s.llm.max_tokens, s.llm.context) == \
        ("http://127.0.0.1:8080/v1", 30.0, 300.0, 512, 8192)
    assert s.llm.configured and s.embed.kind == "minilm" and s.qdrant_url == "http://q:6333"


@pytest.mark.parametrize("var,value", [("FAULT_NB_LLM_TIMEOUT", "soon"), ("FAULT_NB_LLM_MAX_TOKENS", "-5"),
                                       ("FAULT_NB_LLM_CONTEXT", "8k")])
def test_a_bad_value_names_its_variable(var, value):
    with pytest.raises(SettingsError, match=f"{var}='{value}'"):
        Settings.from_env({"FAULT_NB_LLM_MODEL": "m", var: value})


def test_a_bad_value_is_a_one_line_cli_error(monkeypatch, capsys, tmp_path):
    from fault_nb.cli import main

    monkeypatch.setenv("FAULT_NB_LLM_MODEL", "m")
    monkeypatch.setenv("FAULT_NB_LLM_TIMEOUT", "soon")
    (tmp_path / "r.json").write_text("{}")
    rc = main(["agent", "scenario-review", "--results", str(tmp_path / "r.json")])
    assert rc == 2
    assert "FAULT_NB_LLM_TIMEOUT='soon'" in capsys.readouterr().err


def test_openai_key_goes_to_openai_only_for_chat_and_embeddings():
    env = {"OPENAI_API_KEY": "sk-real", "FAULT_NB_LLM_BASE_URL": "http://127.0.0.1:1/v1",
           "FAULT_NB_EMBED_BASE_URL": "http://127.0.0.1:2/v1"}
    s = Settings.from_env(env)
    assert s.llm.api_key is None and s.embed.api_key is None
    s = Settings.from_env({"OPENAI_API_KEY": "sk-real", "FAULT_NB_EMBED_MODEL": "text-embedding-3-small"})
    assert s.llm.api_key == "sk-real" and s.embed.api_key == "sk-real"
    assert openai_key_for("https://api.openai.com.evil.example/v1", env) is None


def test_tests_isolate_every_listed_variable(pytestconfig):
    """The top conftest (as pytest loaded it) isolates what settings lists, and none of it is set here."""
    import os
    from pathlib import Path

    top = Path(__file__).resolve().parents[1] / "conftest.py"
    conftest = next(p for p in pytestconfig.pluginmanager.get_plugins()
                    if Path(getattr(p, "__file__", "") or "").resolve() == top)
    assert {v.name for v in VARIABLES} - set(conftest._ISOLATED_VARS) == {"FAULT_NB_SHARED"}
    leaked = [name for name in conftest._ISOLATED_VARS if name in os.environ and name != "FAULT_NB_CACHE_DIR"]
    assert not leaked


class _FlakyEmbeddings(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        owner = self.server.owner
        owner.append(body)
        status, payload = (503, {"error": "busy"}) if len(owner) <= owner.fail else \
            (200, {"data": [{"index": i, "embedding": [1.0, 0.0]} for i, _ in enumerate(body["input"])]})
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.mark.parametrize("fail,ok", [(1, True), (2, False)])
def test_embeddings_get_the_chat_clients_retry_policy(fail, ok):
    from fault_nb.code.embed import OpenAIEmbedder

    srv = ThreadingHTTPServer(("127.0.0.1", 0), _FlakyEmbeddings)
    srv.owner = type("Calls", (list,), {})()
    srv.owner.fail = fail
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        emb = OpenAIEmbedder(f"http://127.0.0.1:{srv.server_address[1]}/v1", "e", sleep=lambda s: None)
        if ok:
            assert emb.embed(["a", "b"]) == [[1.0, 0.0], [1.0, 0.0]]
        else:
            with pytest.raises(CodeIndexError, match="HTTP 503"):
                emb.embed(["a"])
        assert len(srv.owner) == 2  # one retry, never more
    finally:
        srv.shutdown()
        srv.server_close()
        t.join(5)
