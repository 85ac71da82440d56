"""Any OpenAI-compatible chat endpoint, with retries, streaming, masking and a cache.

Settings come from arguments or the environment: ``FAULT_NB_LLM_BASE_URL``,
``FAULT_NB_LLM_MODEL``, ``FAULT_NB_LLM_API_KEY`` and ``FAULT_NB_LLM_PROVIDER``
(a preset: openai, ollama, openrouter, gemini, vllm, lmstudio). The
``OPENAI_API_KEY`` variable is only ever sent to api.openai.com: a custom base
URL never receives it by accident.
"""
from __future__ import annotations

import email.utils
import os
import random
import time
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urlparse

from .._tokens import estimate_tokens
from ..errors import LLMError, require
from .cache import ResponseCache, cache_key
from .secrets import mask_messages

# provider -> (base URL, env var of its key, default model)
PRESETS: dict[str, tuple[str, str | None, str | None]] = {
    "openai": ("https://api.openai.com/v1", "OPENAI_API_KEY", "gpt-4o-mini"),
    "ollama": ("http://localhost:11434/v1", None, "gemma3:4b"),
    "openrouter": ("https://openrouter.ai/api/v1", "OPENROUTER_API_KEY", "google/gemma-3-27b-it"),
    "gemini": ("https://generativelanguage.googleapis.com/v1beta/openai", "GEMINI_API_KEY", "gemini-2.5-flash"),
    "vllm": ("http://localhost:8000/v1", None, None),
    "lmstudio": ("http://localhost:1234/v1", None, None),
}
OPENAI_HOST = "api.openai.com"


class _Retryable(Exception):
    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class Reply:
    """One answer: text plus what the ledger records."""

    text: str
    model: str
    cached: bool = False
    latency_s: float = 0.0
    attempts: int = 1
    prompt_tokens: int = 0  # estimated
    completion_tokens: int = 0  # estimated
    masked: list[dict] = field(default_factory=list)


def _host(url: str) -> str:
    return (urlparse(url).hostname or "").lower()


def _retry_after(headers: Any) -> float | None:
    if headers is None:
        return None
    value = headers.get("retry-after-ms")
    if value:
        try:
            return float(value) / 1000.0
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
            return max(0.0, when.timestamp() - time.time())
        except (TypeError, ValueError):
            return None


class LLMClient:
    """A chat client for any OpenAI-compatible endpoint.

    >>> llm = LLMClient(base_url="http://localhost:11434/v1", model="gemma3:4b")  # doctest: +SKIP
    >>> llm.chat([{"role": "user", "content": "hi"}]).text  # doctest: +SKIP
    """

    def __init__(self, base_url: str | None = None, model: str | None = None, api_key: str | None = None, *,
                 provider: str | None = None, timeout: float = 120.0, max_retries: int = 4,
                 backoff: float = 0.5, max_backoff: float = 20.0, stream: bool = False,
                 cache: ResponseCache | bool | None = None, temperature: float = 0.0,
                 sleep: Callable[[float], None] = time.sleep):
        provider = (provider or "").strip().lower() or None
        if provider and provider not in PRESETS:
            raise LLMError(f"unknown LLM provider {provider!r}. Expected one of: {', '.join(PRESETS)}")
        preset = PRESETS.get(provider or "", (None, None, None))
        self.base_url = (base_url or preset[0] or PRESETS["openai"][0]).rstrip("/")
        host = _host(self.base_url)
        if not host:
            raise LLMError(f"LLM base URL {self.base_url!r} is not a URL (expected e.g. http://localhost:11434/v1)")
        self.model = model or preset[2] or (PRESETS["openai"][2] if host == OPENAI_HOST else None)
        if not self.model:
            raise LLMError(f"no LLM model given for {host}: pass model= or set FAULT_NB_LLM_MODEL")
        self.provider = provider or _provider_for_host(host)
        self.api_key = api_key
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.stream = stream
        self.temperature = temperature
        self._sleep = sleep
        if cache is False:
            self.cache: ResponseCache | None = ResponseCache(enabled=False)
        else:
            self.cache = cache if isinstance(cache, ResponseCache) else None
        self._client = None
        self.json_supported = True

    @classmethod
    def from_env(cls, base_url: str | None = None, model: str | None = None, api_key: str | None = None,
                 **kwargs: Any) -> "LLMClient":
        """Build a client from arguments, then ``FAULT_NB_LLM_*`` variables, then the provider preset."""
        env = os.environ
        provider = (kwargs.pop("provider", None) or env.get("FAULT_NB_LLM_PROVIDER") or "").strip().lower() or None
        if provider and provider not in PRESETS:
            raise LLMError(f"FAULT_NB_LLM_PROVIDER={provider!r} is not a known provider. "
                           f"Expected one of: {', '.join(PRESETS)}")
        base_url = base_url or env.get("FAULT_NB_LLM_BASE_URL") or (PRESETS[provider][0] if provider else None) \
            or PRESETS["openai"][0]
        model = model or env.get("FAULT_NB_LLM_MODEL") or None
        key = api_key or env.get("FAULT_NB_LLM_API_KEY")
        if not key and provider and PRESETS[provider][1] and PRESETS[provider][1] != "OPENAI_API_KEY":
            key = env.get(PRESETS[provider][1])
        if not key and _host(base_url) == OPENAI_HOST:
            key = env.get("OPENAI_API_KEY")  # only ever for OpenAI itself
        return cls(base_url, model, key, provider=provider, **kwargs)

    # ------------------------------------------------------------ info
    @property
    def host(self) -> str:
        return _host(self.base_url)

    def provenance(self) -> dict:
        return {"reviewer": "llm", "provider": self.provider, "model": self.model, "base_url_host": self.host}

    def __repr__(self) -> str:
        return f"LLMClient(provider={self.provider!r}, model={self.model!r}, host={self.host!r})"

    # ------------------------------------------------------------ calls
    def _openai(self):
        if self._client is None:
            openai = require("openai", "llm")
            # an explicit key (never None) stops the SDK from reading OPENAI_API_KEY itself
            self._client = openai.OpenAI(base_url=self.base_url, api_key=self.api_key or "not-needed",
                                         timeout=self.timeout, max_retries=0)
        return self._client

    def chat(self, messages: list[dict], *, json_mode: bool = False, max_tokens: int | None = None,
             on_token: Callable[[str], None] | None = None, cache: ResponseCache | bool | None = None,
             purpose: str = "") -> Reply:
        """Send ``messages`` (secrets masked first); answer from the cache when the same request was made.

        >>> llm.chat([{"role": "user", "content": "Say hi"}], on_token=print)  # doctest: +SKIP
        """
        masked_msgs, masked = mask_messages(messages)
        masked_info = [m.to_dict() for m in masked]
        store = self._store(cache)
        params = {"temperature": self.temperature, "json": json_mode, "max_tokens": max_tokens}
        key = cache_key(self.model, self.base_url, masked_msgs, params)
        prompt_tokens = sum(estimate_tokens(m.get("content") or "") for m in masked_msgs)
        hit = store.get(key) if store else None
        if hit is not None and isinstance(hit.get("text"), str):
            text = hit["text"]
            if on_token:
                on_token(text)
            reply = Reply(text, self.model, True, 0.0, 0, prompt_tokens, estimate_tokens(text), masked_info)
            self._ledger(store, reply, purpose)
            return reply
        start = time.monotonic()
        text, attempts = self._with_retries(masked_msgs, json_mode, max_tokens, on_token)
        reply = Reply(text, self.model, False, time.monotonic() - start, attempts, prompt_tokens,
                      estimate_tokens(text), masked_info)
        if store:
            store.put(key, {"text": text, "model": self.model, "created": time.time()})
        self._ledger(store, reply, purpose)
        return reply

    def _store(self, cache: ResponseCache | bool | None) -> ResponseCache | None:
        if cache is False:
            return None
        if isinstance(cache, ResponseCache):
            return cache
        if self.cache is None:
            self.cache = ResponseCache()
        return self.cache if self.cache.enabled else None

    def _ledger(self, store: ResponseCache | None, reply: Reply, purpose: str) -> None:
        target = store or (self.cache if self.cache is not None else None)
        if target is None:
            return
        target.record({"model": self.model, "host": self.host, "purpose": purpose, "cache_hit": reply.cached,
                       "latency_s": round(reply.latency_s, 3), "attempts": reply.attempts,
                       "estimated_prompt_tokens": reply.prompt_tokens,
                       "estimated_completion_tokens": reply.completion_tokens, "masked": reply.masked})

    def _with_retries(self, messages, json_mode, max_tokens, on_token) -> tuple[str, int]:
        last = ""
        for attempt in range(self.max_retries + 1):
            try:
                return self._once(messages, json_mode and self.json_supported, max_tokens, on_token), attempt + 1
            except _Retryable as exc:
                last = str(exc)
                if attempt >= self.max_retries:
                    break
                delay = min(self.max_backoff, self.backoff * (2 ** attempt)) * random.uniform(0.5, 1.0)
                if exc.retry_after is not None:
                    delay = max(delay, min(exc.retry_after, 60.0))
                self._sleep(delay)
        hint = f" (is an OpenAI-compatible server running at {self.base_url}?)" if "connection" in last else ""
        raise LLMError(f"{self.host}: gave up after {self.max_retries + 1} attempts: {last}{hint}")

    def _once(self, messages, json_mode, max_tokens, on_token) -> str:
        openai = require("openai", "llm")
        import httpx

        kwargs: dict[str, Any] = {"model": self.model, "messages": messages}
        if self.temperature is not None:
            kwargs["temperature"] = self.temperature
        if max_tokens:
            kwargs["max_tokens"] = max_tokens
        if json_mode:
            kwargs["response_format"] = {"type": "json_object"}
        try:
            if self.stream or on_token is not None:
                return self._stream(kwargs, on_token)
            resp = self._openai().chat.completions.create(**kwargs)
            if not resp.choices:
                raise _Retryable("the answer has no choices")
            return resp.choices[0].message.content or ""
        except openai.AuthenticationError as exc:
            raise LLMError(f"{self.host}: 401 unauthorized: the API key was refused "
                           "(set FAULT_NB_LLM_API_KEY, or OPENAI_API_KEY for api.openai.com)") from exc
        except openai.PermissionDeniedError as exc:
            raise LLMError(f"{self.host}: 403 forbidden: this key may not use model {self.model!r}") from exc
        except openai.NotFoundError as exc:
            raise LLMError(f"{self.host}: 404: model {self.model!r} not found (or the base URL {self.base_url} "
                           "is not an OpenAI-compatible /v1 endpoint); check FAULT_NB_LLM_MODEL") from exc
        except openai.RateLimitError as exc:
            raise _Retryable(f"429 rate limited: {_msg(exc)}", _retry_after(exc.response.headers)) from exc
        except openai.BadRequestError as exc:
            text = (str(exc) + _msg(exc)).lower()
            if json_mode and "response_format" in text:
                self.json_supported = False  # e.g. an older server: ask for JSON in the prompt only
                return self._once(messages, False, max_tokens, on_token)
            if self.temperature is not None and "temperature" in text:
                self.temperature = None  # reasoning models accept only their default temperature
                return self._once(messages, json_mode, max_tokens, on_token)
            raise LLMError(f"{self.host}: 400 bad request: {_msg(exc)}") from exc
        except openai.APIStatusError as exc:
            if exc.status_code >= 500 or exc.status_code in (408, 409):
                raise _Retryable(f"{exc.status_code} server error: {_msg(exc)}",
                                 _retry_after(exc.response.headers)) from exc
            raise LLMError(f"{self.host}: {exc.status_code}: {_msg(exc)}") from exc
        except openai.APITimeoutError as exc:
            raise _Retryable(f"request timed out after {self.timeout}s") from exc
        except openai.APIConnectionError as exc:
            raise _Retryable(f"connection failed: {exc.__cause__ or exc}") from exc
        except (httpx.TransportError, httpx.StreamError) as exc:
            raise _Retryable(f"connection dropped: {exc}") from exc

    def _stream(self, kwargs: dict, on_token) -> str:
        parts: list[str] = []
        finished = False
        stream = self._openai().chat.completions.create(stream=True, **kwargs)
        try:
            for chunk in stream:
                if not chunk.choices:
                    continue
                choice = chunk.choices[0]
                piece = getattr(choice.delta, "content", None) if choice.delta is not None else None
                if piece:
                    parts.append(piece)
                    if on_token:
                        on_token(piece)
                if choice.finish_reason:
                    finished = True
        finally:
            stream.close()
        if not finished:
            raise _Retryable("the stream ended before the answer was complete (truncated)")
        return "".join(parts)


def _msg(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])
    return str(getattr(exc, "message", exc))


def _provider_for_host(host: str) -> str:
    for name, (url, _, _) in PRESETS.items():
        if _host(url) == host:
            return name
    return "openai-compatible"


def llm_from_env(**kwargs: Any) -> LLMClient | None:
    """The configured LLM client, or ``None`` when nothing is configured (then the rules reviewer is used).

    >>> llm_from_env() is None  # with no FAULT_NB_LLM_* / OPENAI_API_KEY set  # doctest: +SKIP
    True
    """
    env = os.environ
    if not any(env.get(v) for v in ("FAULT_NB_LLM_BASE_URL", "FAULT_NB_LLM_MODEL", "FAULT_NB_LLM_PROVIDER",
                                     "OPENAI_API_KEY")):
        return None
    return LLMClient.from_env(**kwargs)
