"""LLMClient against the local OpenAI-compatible server: retries, streaming, errors, cache, masking."""
from __future__ import annotations

import pytest

from fault_nb.errors import LLMError
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
    with pytest.raises(LLMError, match="gave up after 3 attempts"):
        c.chat(MSG)
    assert len(server.chat_requests()) == 3
    assert len(c.sleeps) == 2 and c.sleeps[1] > c.sleeps[0] * 0.9


def test_truncated_stream_and_dropped_connection_are_retried(server):
    server.push({"truncate": True, "content": "this answer will be cut in half"},
                {"drop": True},
                {"content": "complete answer"})
    c = client(server, cache=False)
    reply = c.chat(MSG, on_token=lambda t: None)
    assert reply.text == "complete answer" and reply.attempts == 3


def test_slow_answer_times_out_then_retries(server):
    server.push({"delay": 1.5, "content": "too late"}, {"content": "in time"})
    c = client(server, cache=False, timeout=0.5)
    assert c.chat(MSG).text == "in time"


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
    assert ledger[0]["model"] == "test-model" and ledger[0]["estimated_prompt_tokens"] > 0
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
    with pytest.raises(LLMError, match="Expected one of"):
        llm_from_env()


def test_models_that_refuse_temperature(server):
    server.push({"status": 400, "error": "Unsupported value: 'temperature' does not support 0.0"}, {"content": "ok"})
    c = client(server, cache=False)
    assert c.chat(MSG).text == "ok"
    first, second = server.chat_requests()
    assert first["body"]["temperature"] == 0.0 and "temperature" not in second["body"]


def test_slow_stream_arrives_token_by_token(server):
    import time

    server.push({"content": "a slow but complete streamed answer", "pause": 0.03})
    stamps = []
    reply = client(server, cache=False, timeout=5).chat(MSG, on_token=lambda t: stamps.append(time.monotonic()))
    assert reply.text == "a slow but complete streamed answer" and reply.attempts == 1
    assert len(stamps) >= 5 and stamps[-1] - stamps[0] > 0.1  # tokens came as they were sent
