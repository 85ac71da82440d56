"""fault_nb.settings: every variable in one place, read at the edges; one key rule; one retry policy."""
from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

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


# environment names fault_nb reads that are not settings of its own (so not in VARIABLES):
_NOT_SETTINGS = {
    "VOILA_KERNEL_ID": "set by Voila in the kernel it starts: ui._common.in_voila() detects a Voila page",
    "VOILA_BASE_URL": "set by Voila in its kernels: plots tells a Voila page from a saved notebook",
    "SERVER_SOFTWARE": "'voila/...' in a Voila kernel: the same detection as above",
    "PATH": "export.py prepends the PDF engine's folder to a copy of the environment for pandoc",
}
# INVENTORY_URL (a doctest in scenarios/proxy.py) is written for the sample app under test, never read.
_ENV_READ = re.compile(
    r"""(?:environ|\benv)\s*(?:\.get\(|\[)\s*["']([A-Z][A-Z0-9_]*)["'](?!\]\s*=[^=])"""  # environ.get("X" / ["X"]
    r"""|getenv\(\s*["']([A-Z][A-Z0-9_]*)["']"""
    r"""|["']([A-Z][A-Z0-9_]*)["']\s+(?:not\s+)?in\s+(?:os\.)?environ\b""")


def test_every_environment_variable_the_package_reads_is_listed():
    """A variable read anywhere in fault_nb is in settings.VARIABLES (so --help, the README and the
    tests' isolation know it), unless it is one of the few names above that are not settings."""
    import fault_nb

    root = Path(fault_nb.__file__).parent
    found: dict[str, list[str]] = {}
    for path in sorted(root.rglob("*.py")):
        for m in _ENV_READ.finditer(path.read_text(encoding="utf-8")):
            name = next(g for g in m.groups() if g)
            found.setdefault(name, []).append(str(path.relative_to(root)))
    listed = {v.name for v in VARIABLES}
    unlisted = {n: files for n, files in found.items() if n not in listed and n not in _NOT_SETTINGS}
    assert not unlisted, f"read but not in fault_nb.settings.VARIABLES: {unlisted}"
    assert {"FAULT_NB_CACHE_DIR", "FAULT_NB_OUT", "QDRANT_URL", "FAULT_SCENARIO_PATH"} <= set(found)  # the scan finds known reads
    assert set(_NOT_SETTINGS) <= set(found), "an allowed name is no longer read: drop it from _NOT_SETTINGS"


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
