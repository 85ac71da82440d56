"""LLMClient against the local OpenAI-compatible server: retries, streaming, errors, cache, masking."""
from __future__ import annotations

import pytest

from fault_nb.errors import (LLMCancelledError, LLMContextError, LLMError, LLMTimeoutError, LLMTruncatedError,
                             SettingsError)
from fault_nb.review.cache import ResponseCache
from fault_nb.review.llm import LLMClient, llm_from_env

from .llm_server import LLMServer

MSG = [{"role": "user", "content": "hello"}]


@pytest.fixture
def server():
    with LLMServer() as s:
        yield s


def client(server, **kw):
    sleeps = []
    kw.setdefault("sleep", sleeps.append)
    kw.setdefault("backoff", 0.01)
    c = LLMClient(base_url=server.url, model="test-model", api_key="k-test", **kw)
    c.sleeps = sleeps
    return c


def test_plain_and_streamed_answers(server):
    server.push({"content": "plain answer"}, {"content": "streamed answer, in several chunks"})
    c = client(server, cache=False)
    assert c.chat(MSG).text == "plain answer"
    tokens = []
    reply = c.chat(MSG, on_token=tokens.append)
    assert reply.text == "streamed answer, in several chunks"
    assert len(tokens) > 1 and "".join(tokens) == reply.text
    assert server.chat_requests()[1]["body"]["stream"] is True
    assert server.chat_requests()[0]["headers"]["authorization"] == "Bearer k-test"


def test_429_then_success_respects_retry_after(server):
    server.push({"status": 429, "headers": {"Retry-After": "3"}}, {"content": "finally"})
    c = client(server, cache=False)
    reply = c.chat(MSG)
    assert reply.text == "finally" and reply.attempts == 2
    assert len(server.chat_requests()) == 2
    assert c.sleeps and c.sleeps[0] >= 3.0  # Retry-After wins over the short backoff


def test_500s_retried_with_growing_backoff_then_error(server):
    server.push(*[{"status": 500}] * 3)
    c = client(server, cache=False, max_retries=2)
    with pytest.raises(LLMError, match="gave up after 3 attempt"):
        c.chat(MSG)
    assert len(server.chat_requests()) == 3
    assert len(c.sleeps) == 2 and c.sleeps[1] > c.sleeps[0] * 0.9


def test_at_most_one_retry_by_default(server, tmp_path):
    server.push(*[{"status": 503}] * 3)
    cache = ResponseCache(tmp_path / "llm")
    with pytest.raises(LLMError, match="gave up after 2 attempt"):
        client(server, cache=cache).chat(MSG, purpose="probe")
    assert len(server.chat_requests()) == 2
    (entry,) = cache.ledger()  # the failure is in the ledger: kind, attempts, time
    assert entry["ok"] is False and entry["attempts"] == 2 and entry["purpose"] == "probe"
    assert "503" in entry["error"] and entry["latency_s"] >= 0 and entry["error_kind"] == "error"


def test_dropped_connection_is_retried_once_but_a_truncated_stream_is_not(server, tmp_path):
    server.push({"drop": True}, {"content": "complete answer"})
    c = client(server, cache=False)
    reply = c.chat(MSG, on_token=lambda t: None)
    assert reply.text == "complete answer" and reply.attempts == 2
    cache = ResponseCache(tmp_path / "llm")
    server.push({"truncate": True, "content": "this answer will be cut in half by the server"})
    with pytest.raises(LLMTruncatedError, match="without a finish reason") as info:
        client(server, cache=cache).chat(MSG, on_token=lambda t: None)
    assert info.value.text and len(server.chat_requests()) == 3  # no retry loop
    assert cache.ledger()[-1]["error_kind"] == "truncated"
    server.push({"content": "now complete"})  # nothing was cached: the next call asks again
    assert client(server, cache=cache).chat(MSG, on_token=lambda t: None).text == "now complete"


@pytest.mark.parametrize("streamed", [False, True])
def test_finish_reason_length_is_truncation_in_both_modes_and_never_cached(server, tmp_path, streamed):
    cache = ResponseCache(tmp_path / "llm")
    server.push({"content": '{"suggestions": [{"id": "a", "ti', "finish_reason": "length",
                 "usage": {"prompt_tokens": 40, "completion_tokens": 12, "total_tokens": 52}})
    c = client(server, cache=cache)
    with pytest.raises(LLMTruncatedError, match="the model's answer was cut at 12 tokens") as info:
        c.chat(MSG, max_tokens=12, on_token=(lambda t: None) if streamed else None)
    assert info.value.tokens == 12
    assert server.chat_requests()[0]["body"]["max_tokens"] == 12
    server.push({"content": "whole"})
    assert c.chat(MSG, max_tokens=12, on_token=(lambda t: None) if streamed else None).text == "whole"
    assert len(server.chat_requests()) == 2


def test_max_tokens_always_sent_and_the_client_setting_wins(server):
    c = client(server, cache=False)
    c.chat(MSG)
    c.chat(MSG, max_tokens=300)
    client(server, cache=False, max_tokens=77).chat(MSG, max_tokens=300)
    assert [r["body"]["max_tokens"] for r in server.chat_requests()] == [1024, 300, 77]


def test_slow_answer_times_out_and_is_not_retried(server, tmp_path):
    server.push({"delay": 1.5, "content": "too late"})
    cache = ResponseCache(tmp_path / "llm")
    with pytest.raises(LLMTimeoutError, match="did not answer within 0.5 s"):
        client(server, cache=cache, timeout=0.5).chat(MSG)
    assert len(server.chat_requests()) == 1
    assert cache.ledger()[-1]["error_kind"] == "timeout"


def test_deadline_bounds_the_call_and_a_passed_one_sends_nothing(server):
    import time

    server.push({"delay": 1.5, "content": "too late"})
    c = client(server, cache=False, timeout=30)
    t0 = time.monotonic()
    with pytest.raises(LLMTimeoutError):
        c.chat(MSG, deadline=time.monotonic() + 0.5)
    assert time.monotonic() - t0 < 1.4
    with pytest.raises(LLMTimeoutError, match="deadline passed"):
        c.chat(MSG, deadline=time.monotonic() - 1)
    assert len(server.chat_requests()) == 1


def test_stream_dropped_before_the_first_token_asks_once_without_streaming(server):
    server.push({"drop_after_headers": True},
                {"status": 400, "error": "Requested tokens (9000) exceed context window of 8192"})
    with pytest.raises(LLMContextError, match="context window"):
        client(server, cache=False).chat(MSG, on_token=lambda t: None)
    first, second = server.chat_requests()
    assert first["body"]["stream"] is True and not second["body"].get("stream")


def test_context_window_from_the_server_refuses_an_oversized_prompt_before_sending(server):
    server.n_ctx = 64
    c = client(server, cache=False)
    with pytest.raises(LLMContextError, match="context window of 64 tokens"):
        c.chat([{"role": "user", "content": "word " * 400}])
    assert c.context_window() == 64 and not server.chat_requests()
    assert client(server, cache=False, context_window=4096).context_window() == 4096


def test_cancel_closes_the_stream_so_the_server_stops(server, tmp_path):
    import threading
    import time

    server.push({"content": "x" * 7 * 200, "pause": 0.02})  # 200 pieces, 4 s
    cancel = threading.Event()
    seen = []

    def on_token(piece):
        seen.append(piece)
        if len(seen) == 3:
            cancel.set()

    cache = ResponseCache(tmp_path / "llm")
    with pytest.raises(LLMCancelledError):
        client(server, cache=cache).chat(MSG, on_token=on_token, cancel=cancel)
    for _ in range(100):
        if server.disconnects:
            break
        time.sleep(0.02)
    assert server.disconnects == 1 and server.pieces_sent < 50
    assert cache.ledger()[-1]["error_kind"] == "cancelled"


def test_structured_output_falls_back_and_is_remembered_per_server(server):
    from fault_nb.review.llm import reset_format_memory

    schema = {"type": "object", "properties": {"suggestions": {"type": "array"}}, "required": ["suggestions"]}
    server.formats = {"json_object"}
    c = client(server, cache=False)
    server.push({"content": '{"suggestions": []}'}, {"content": '{"suggestions": []}'})
    reply = c.chat(MSG, schema=schema)
    assert reply.text == '{"suggestions": []}' and reply.response_format == "json_object"
    kinds = [r["body"]["response_format"] for r in server.chat_requests()]
    assert kinds == [{"type": "json_schema", "json_schema": {"name": "answer", "schema": schema}},
                     {"type": "json_object", "schema": schema}, {"type": "json_object"}]
    # remembered for this server (another client too), for the session only
    client(server, cache=False).chat(MSG, schema=schema)
    assert server.chat_requests()[-1]["body"]["response_format"] == {"type": "json_object"}
    assert len(server.chat_requests()) == 4
    reset_format_memory()
    server.formats = set()  # a server that takes no response_format at all: the prompt alone asks for JSON
    server.push({"content": "{}"})
    assert client(server, cache=False).chat(MSG, schema=schema).response_format == "prompt"
    assert "response_format" not in server.chat_requests()[-1]["body"]


def test_a_500_about_response_format_steps_down_instead_of_retrying(server):
    # llama-cpp-python validates response_format.type and answers json_schema with a 500
    server.push({"status": 500, "error": "1 validation error: ('body', 'response_format', 'type') Input should "
                                         "be 'text' or 'json_object'"}, {"content": "{}"})
    reply = client(server, cache=False).chat(MSG, schema={"type": "object"})
    assert reply.response_format == "json_object_schema" and len(server.chat_requests()) == 2


def test_schema_mode_is_sent_where_accepted(server):
    schema = {"type": "object"}
    server.push({"content": "{}"})
    reply = client(server, cache=False).chat(MSG, schema=schema)
    assert reply.response_format == "json_schema"
    assert server.chat_requests()[0]["body"]["response_format"]["type"] == "json_schema"


@pytest.mark.parametrize("streamed", [False, True])
def test_usage_is_read_from_the_server_and_recorded(server, tmp_path, streamed):
    cache = ResponseCache(tmp_path / "llm")
    server.push({"content": "answer", "usage": {"prompt_tokens": 321, "completion_tokens": 45,
                                                "total_tokens": 366}})
    reply = client(server, cache=cache).chat(MSG, on_token=(lambda t: None) if streamed else None)
    assert (reply.prompt_tokens, reply.completion_tokens, reply.tokens_source) == (321, 45, "server")
    if streamed:
        assert server.chat_requests()[0]["body"]["stream_options"] == {"include_usage": True}
    entry = cache.ledger()[-1]
    assert entry["prompt_tokens"] == 321 and entry["tokens_source"] == "server"
    again = client(server, cache=cache).chat(MSG, on_token=(lambda t: None) if streamed else None)
    assert again.cached and again.prompt_tokens == 321  # the replay keeps the real numbers


def test_model_answers_are_never_masked(server):
    server.push({"content": "ok"})
    answer = 'PASSWORD=hunter22x was in the config; API_KEY = "sk-proj-ABCDEFGHIJKLMNOPQRSTUVWX"'
    msgs = [{"role": "user", "content": "PASSWORD=hunter22x"}, {"role": "assistant", "content": answer},
            {"role": "user", "content": "again"}]
    reply = client(server, cache=False).chat(msgs)
    sent = server.chat_requests()[0]["body"]["messages"]
    assert "hunter22x" not in sent[0]["content"] and sent[1]["content"] == answer
    assert len(reply.masked) == 1


@pytest.mark.parametrize("status,match", [(401, "API key was refused"), (404, "model 'test-model' not found")])
def test_clear_errors_are_not_retried(server, status, match):
    server.push({"status": status})
    with pytest.raises(LLMError, match=match):
        client(server, cache=False).chat(MSG)
    assert len(server.chat_requests()) == 1


def test_json_mode_falls_back_when_response_format_unsupported(server):
    server.push({"status": 400, "error": "response_format is not supported"}, {"content": "{}"})
    c = client(server, cache=False)
    assert c.chat(MSG, json_mode=True).text == "{}"
    first, second = server.chat_requests()
    assert first["body"]["response_format"] == {"type": "json_object"}
    assert "response_format" not in second["body"]


def test_cache_second_call_hits_no_server_and_ledger_records(server, tmp_path):
    cache = ResponseCache(tmp_path / "llm")
    server.push({"content": "cached answer"})
    c = client(server, cache=cache)
    assert c.chat(MSG).cached is False
    again = c.chat(MSG)
    assert again.cached is True and again.text == "cached answer"
    assert len(server.chat_requests()) == 1
    ledger = cache.ledger()
    assert [e["cache_hit"] for e in ledger] == [False, True]
    assert ledger[0]["model"] == "test-model" and ledger[0]["prompt_tokens"] > 0
    # a new client (e.g. a shared notebook without a key) replays from the same folder
    replay = LLMClient(base_url=server.url, model="test-model", cache=ResponseCache(tmp_path / "llm"))
    assert replay.chat(MSG).text == "cached answer"
    assert len(server.chat_requests()) == 1


def test_secrets_masked_before_sending_and_listed_in_ledger(server, tmp_path):
    cache = ResponseCache(tmp_path / "llm")
    server.push({"content": "ok"})
    secret = "sk-proj-ABCDEFGHIJKLMNOPQRSTUVWXYZ123456"
    text = (f'OPENAI_KEY = "{secret}"\nDB = "postgresql://app:hunter2secret@db:5432/x"\n'
            'headers = {"Authorization": "Bearer abcdefghijklmnop123456"}\n'
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n")
    client(server, cache=cache).chat([{"role": "user", "content": text}])
    sent = server.chat_requests()[0]["body"]["messages"][0]["content"]
    for value in (secret, "hunter2secret", "abcdefghijklmnop123456", "MIIEowIBAAKCAQEA"):
        assert value not in sent
    masked = cache.ledger()[0]["masked"]
    kinds = {m["kind"] for m in masked}
    assert {"openai-key", "url-password", "bearer-token", "private-key"} <= kinds
    assert all(secret not in str(m) for m in masked)


def test_openai_key_never_sent_to_custom_base_url(server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-real-openai-key-should-not-leak-000")
    monkeypatch.setenv("FAULT_NB_LLM_BASE_URL", server.url)
    monkeypatch.setenv("FAULT_NB_LLM_MODEL", "test-model")
    c = llm_from_env(cache=False)
    assert c is not None and c.api_key is None
    server.push({"content": "ok"})
    c.chat(MSG)
    auth = server.chat_requests()[0]["headers"].get("authorization", "")
    assert "sk-real-openai-key" not in auth


def test_openai_key_used_for_openai_only(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-for-openai")
    c = llm_from_env()
    assert c.host == "api.openai.com" and c.api_key == "sk-for-openai" and c.model


def test_from_env_nothing_configured_and_presets(monkeypatch):
    assert llm_from_env() is None
    monkeypatch.setenv("FAULT_NB_LLM_PROVIDER", "ollama")
    c = llm_from_env()
    assert c.base_url == "http://localhost:11434/v1" and c.model == "gemma3:4b"
    monkeypatch.setenv("FAULT_NB_LLM_PROVIDER", "nope")
    with pytest.raises(SettingsError, match="FAULT_NB_LLM_PROVIDER='nope'.*Expected one of"):
        llm_from_env()


def test_models_that_refuse_temperature(server):
    server.push({"status": 400, "error": "Unsupported value: 'temperature' does not support 0.0"}, {"content": "ok"})
    c = client(server, cache=False)
    assert c.chat(MSG).text == "ok"
    first, second = server.chat_requests()
    assert first["body"]["temperature"] == 0.0 and "temperature" not in second["body"]


def test_slow_stream_arrives_token_by_token(server):
    import time

    # six pieces, 100 ms apart: the first and last token arrive >= 0.5 s apart when streamed, within
    # a few ms when the client buffers the whole answer
    server.push({"content": "a slow but complete streamed answer", "pause": 0.1})
    stamps = []
    reply = client(server, cache=False, timeout=5).chat(MSG, on_token=lambda t: stamps.append(time.monotonic()))
    assert reply.text == "a slow but complete streamed answer" and reply.attempts == 1
    assert len(stamps) >= 5 and stamps[-1] - stamps[0] > 0.2  # tokens came as they were sent


def test_a_hosted_presets_host_is_not_probed_for_its_context(monkeypatch):
    """/props and /api/show are llama.cpp/Ollama's: OpenAI, OpenRouter and Gemini are not asked (nor sent
    the key); a local server is (above). A recording proxy sees every request that would leave."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen: list[str] = []

    class Proxy(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def _refuse(self):
            seen.append(f"{self.command} {self.path}")
            self.send_response(502)
            self.send_header("content-length", "0")
            self.end_headers()

        do_CONNECT = do_GET = do_POST = _refuse  # noqa: N815

    proxy = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{proxy.server_port}")
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.server_port}")
        for url in ("https://api.openai.com/v1", "https://openrouter.ai/api/v1",
                    "https://generativelanguage.googleapis.com/v1beta/openai"):
            assert LLMClient(base_url=url, model="m", api_key="sk-x").context_window() is None
        assert not seen
        # the proxy does see a server that is not a hosted preset (so the check above can fail)
        assert LLMClient(base_url="http://llm.example:8080/v1", model="m").context_window() is None
        assert seen and seen[0].startswith("GET http://llm.example:8080/props")
    finally:
        proxy.shutdown()
        proxy.server_close()
        thread.join(timeout=5)
