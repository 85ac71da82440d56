"""Any OpenAI-compatible chat endpoint: bounded, structured, masked, cached.

Settings come from arguments or from :class:`fault_nb.settings.Settings`
(``FAULT_NB_LLM_*``; see ``fault-nb agent --help``). Every call

- sends ``max_tokens`` and runs under a per-call timeout and the caller's
  deadline; a timeout is not retried, other transient errors once
  (:class:`fault_nb._retry.RetryPolicy`);
- asks for structured output when a schema is given: ``json_schema``, then
  ``json_object`` with the schema (llama.cpp's form), then plain
  ``json_object``, then the prompt alone; the step a server accepted is
  remembered per server for the session;
- detects truncation (``finish_reason == "length"`` or a stream that ends
  without a finish reason) and never caches a truncated answer;
- reads the server's ``usage`` (streamed too, ``stream_options.include_usage``);
  estimates are a labelled fallback;
- masks secrets in what it sends (never in the model's own earlier answers);
- records every call in the ledger, failures included.
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from .._retry import RetryPolicy, Transient, is_transient_status, retry_after
from .._tokens import estimate_tokens
from ..errors import (LLMCancelledError, LLMContextError, LLMError, LLMTimeoutError, LLMTruncatedError,
                      require)
from ..settings import (DEFAULT_TIMEOUT_S, OPENAI_HOST, OPENAI_URL, PRESETS, LLMSettings, Settings,
                        host_of)
from .cache import ResponseCache, cache_key
from .secrets import mask_messages

# structured-output steps, strongest first
FORMATS = ("json_schema", "json_object_schema", "json_object", "prompt")
_FORMAT_STEP: dict[str, int] = {}  # base URL -> index in FORMATS the server accepted (this session only)
_NO_STREAM_OPTIONS: set[str] = set()  # servers that refused stream_options
_STEP_LOCK = threading.Lock()

DEFAULT_MAX_TOKENS = 1024


@dataclass
class Reply:
    """One answer: text plus what the ledger records."""

    text: str
    model: str
    cached: bool = False
    latency_s: float = 0.0
    attempts: int = 1
    prompt_tokens: int = 0
    completion_tokens: int = 0
    masked: list[dict] = field(default_factory=list)
    tokens_source: str = "estimate"  # "server" when the server reported usage
    finish_reason: str | None = None
    response_format: str = "prompt"


def reset_format_memory() -> None:
    """Forget which structured-output step each server accepted (a new session)."""
    with _STEP_LOCK:
        _FORMAT_STEP.clear()
        _NO_STREAM_OPTIONS.clear()


class LLMClient:
    """A chat client for any OpenAI-compatible endpoint.

    >>> llm = LLMClient(base_url="http://localhost:11434/v1", model="gemma3:4b")  # doctest: +SKIP
    >>> llm.chat([{"role": "user", "content": "hi"}], max_tokens=50).text  # doctest: +SKIP
    """

    def __init__(self, base_url: str | None = None, model: str | None = None, api_key: str | None = None, *,
                 provider: str | None = None, timeout: float = DEFAULT_TIMEOUT_S, max_retries: int = 1,
                 backoff: float = 0.5, max_backoff: float = 20.0, stream: bool = False,
                 cache: ResponseCache | bool | None = None, temperature: float | None = 0.0,
                 max_tokens: int | None = None, context_window: int | None = None,
                 deadline: float | None = None, structured: bool = True,
                 sleep: Callable[[float], None] = time.sleep):
        provider = (provider or "").strip().lower() or None
        if provider and provider not in PRESETS:
            raise LLMError(f"unknown LLM provider {provider!r}. Expected one of: {', '.join(PRESETS)}")
        preset = PRESETS.get(provider or "", (None, None, None))
        self.base_url = (base_url or preset[0] or OPENAI_URL).rstrip("/")
        host = host_of(self.base_url)
        if not host:
            raise LLMError(f"LLM base URL {self.base_url!r} is not a URL (expected e.g. http://localhost:11434/v1)")
        self.model = model or preset[2] or (PRESETS["openai"][2] if host == OPENAI_HOST else None)
        if not self.model:
            raise LLMError(f"no LLM model given for {host}: pass model= or set FAULT_NB_LLM_MODEL")
        self.provider = provider or _provider_for_host(host)
        self.api_key = api_key
        self.timeout = float(timeout)
        self.retry = RetryPolicy(max_retries=max_retries, backoff=backoff, max_backoff=max_backoff)
        self.stream = stream
        self.temperature = temperature
        self.max_tokens = max_tokens  # overrides every call's own size when set
        self.deadline = deadline  # seconds one review may take (the reviews read it)
        self.structured = structured  # False: never send response_format (JSON asked in the prompt only)
        self._context_window = context_window
        self._context_probed = context_window is not None
        self._sleep = sleep
        if cache is False:
            self.cache: ResponseCache | None = ResponseCache(enabled=False)
        else:
            self.cache = cache if isinstance(cache, ResponseCache) else None
        self._client = None

    @classmethod
    def from_settings(cls, settings: LLMSettings, **kwargs: Any) -> "LLMClient":
        kwargs.setdefault("timeout", settings.timeout)
        kwargs.setdefault("deadline", settings.deadline)
        kwargs.setdefault("max_tokens", settings.max_tokens)
        kwargs.setdefault("context_window", settings.context)
        return cls(settings.base_url, settings.model, settings.api_key, provider=settings.provider, **kwargs)

    @classmethod
    def from_env(cls, base_url: str | None = None, model: str | None = None, api_key: str | None = None, *,
                 environ: Mapping[str, str] | None = None, **kwargs: Any) -> "LLMClient":
        """Arguments win, then ``FAULT_NB_LLM_*`` (via :class:`~fault_nb.settings.Settings`), then the preset."""
        env = dict(os.environ if environ is None else environ)
        if kwargs.get("provider"):
            env["FAULT_NB_LLM_PROVIDER"] = kwargs.pop("provider")
        if base_url:
            env["FAULT_NB_LLM_BASE_URL"] = base_url
        if model:
            env["FAULT_NB_LLM_MODEL"] = model
        if api_key:
            env["FAULT_NB_LLM_API_KEY"] = api_key
        return cls.from_settings(Settings.from_env(env).llm, **kwargs)

    # ------------------------------------------------------------ info
    @property
    def host(self) -> str:
        return host_of(self.base_url)

    def provenance(self) -> dict:
        return {"reviewer": "llm", "provider": self.provider, "model": self.model, "base_url_host": self.host}

    def __repr__(self) -> str:
        return f"LLMClient(provider={self.provider!r}, model={self.model!r}, host={self.host!r})"

    @property
    def response_format(self) -> str:
        """The structured-output step this server accepts so far (``json_schema`` until it refuses)."""
        if not self.structured:
            return "prompt"
        with _STEP_LOCK:
            return FORMATS[_FORMAT_STEP.get(self.base_url, 0)]

    def _downgrade(self, step: int) -> None:
        with _STEP_LOCK:
            _FORMAT_STEP[self.base_url] = max(_FORMAT_STEP.get(self.base_url, 0), step + 1)

    def context_window(self) -> int | None:
        """The model's context in tokens: ``FAULT_NB_LLM_CONTEXT`` / ``context_window=``, else what the server
        says (llama.cpp ``/props``, Ollama ``/api/show``), else None. Asked once, with a short timeout."""
        if not self._context_probed:
            self._context_probed = True
            self._context_window = _probe_context(self.base_url, self.model, self.api_key)
        return self._context_window

    # ------------------------------------------------------------ calls
    def _openai(self):
        if self._client is None:
            openai = require("openai", "llm")
            # an explicit key (never None) stops the SDK from reading OPENAI_API_KEY itself
            self._client = openai.OpenAI(base_url=self.base_url, api_key=self.api_key or "not-needed",
                                         timeout=self.timeout, max_retries=0)
        return self._client

    def chat(self, messages: list[dict], *, json_mode: bool = False, schema: dict | None = None,
             max_tokens: int | None = None, on_token: Callable[[str], None] | None = None,
             cache: ResponseCache | bool | None = None, purpose: str = "", deadline: float | None = None,
             cancel: threading.Event | None = None) -> Reply:
        """Send ``messages`` (secrets masked first); answer from the cache when the same request was made.

        ``schema`` (a JSON schema) asks for structured output; ``json_mode`` for any JSON object.
        ``max_tokens`` caps the answer (``self.max_tokens`` wins when set; default 1024).
        ``deadline`` is a ``time.monotonic()`` value no call may pass; ``cancel`` stops the call (the
        stream is closed, so the server stops generating).

        >>> llm.chat([{"role": "user", "content": "Say hi"}], on_token=print)  # doctest: +SKIP
        """
        masked_msgs, masked = mask_messages(messages)
        masked_info = [m.to_dict() for m in masked]
        store = self._store(cache)
        limit = int(self.max_tokens or max_tokens or DEFAULT_MAX_TOKENS)
        want_json = bool(json_mode or schema)
        params = {"temperature": self.temperature, "json": want_json, "schema": schema, "max_tokens": limit}
        key = cache_key(self.model, self.base_url, masked_msgs, params)
        prompt_est = sum(estimate_tokens(m.get("content") or "") for m in masked_msgs)
        hit = store.get(key) if store else None
        if hit is not None and isinstance(hit.get("text"), str):
            text = hit["text"]
            if on_token:
                on_token(text)
            usage = hit.get("usage") or {}
            reply = Reply(text, self.model, True, 0.0, 0, int(usage.get("prompt_tokens") or prompt_est),
                          int(usage.get("completion_tokens") or estimate_tokens(text)), masked_info,
                          "server" if usage else "estimate", hit.get("finish_reason"),
                          hit.get("response_format") or "prompt")
            self._ledger(store, purpose, reply=reply)
            return reply
        start = time.monotonic()
        state = {"attempts": 0}
        try:
            self._check_context(prompt_est, limit)
            if cancel is not None and cancel.is_set():
                raise LLMCancelledError(f"{self.host}: cancelled before the call")

            def attempt() -> Reply:
                state["attempts"] += 1
                return self._once(masked_msgs, want_json, schema, limit, on_token, deadline, cancel,
                                  plain=state.get("plain", False))

            def on_retry(exc: Transient) -> None:
                if getattr(exc, "plain", False):
                    state["plain"] = True

            end = deadline
            try:
                reply, _ = self.retry.run(attempt, sleep=self._sleep, deadline=end, on_retry=on_retry)
            except Transient as exc:
                hint = f" (is an OpenAI-compatible server running at {self.base_url}?)" \
                    if "connection" in str(exc) else ""
                raise LLMError(f"{self.host}: gave up after {state['attempts']} attempt(s): {exc}{hint}") from None
        except LLMError as exc:
            self._ledger(store, purpose, error=exc, attempts=state["attempts"], latency=time.monotonic() - start,
                         prompt_est=prompt_est, masked=masked_info)
            raise
        reply.latency_s = time.monotonic() - start
        reply.attempts = state["attempts"]
        reply.masked = masked_info
        if not reply.prompt_tokens:
            reply.prompt_tokens = prompt_est
        if not reply.completion_tokens:
            reply.completion_tokens = estimate_tokens(reply.text)
        if store:
            entry = {"text": reply.text, "model": self.model, "created": time.time(),
                     "finish_reason": reply.finish_reason, "response_format": reply.response_format}
            if reply.tokens_source == "server":
                entry["usage"] = {"prompt_tokens": reply.prompt_tokens, "completion_tokens": reply.completion_tokens}
            store.put(key, entry)
        self._ledger(store, purpose, reply=reply)
        return reply

    def _check_context(self, prompt_est: int, limit: int) -> None:
        window = self.context_window()
        if window is None:
            return
        # the estimate runs ~10% high on real tokenizers: refuse only what surely does not fit
        if prompt_est * 0.85 + min(limit, 64) > window:
            raise LLMContextError(f"{self.host}: the prompt (about {prompt_est} tokens) does not fit the "
                                  f"model's context window of {window} tokens; use a model with a larger "
                                  "context or set FAULT_NB_LLM_CONTEXT to its real size")

    def _store(self, cache: ResponseCache | bool | None) -> ResponseCache | None:
        if cache is False:
            return None
        if isinstance(cache, ResponseCache):
            return cache
        if self.cache is None:
            self.cache = ResponseCache()
        return self.cache if self.cache.enabled else None

    def _ledger(self, store: ResponseCache | None, purpose: str, *, reply: Reply | None = None,
                error: Exception | None = None, attempts: int = 0, latency: float = 0.0, prompt_est: int = 0,
                masked: list[dict] | None = None) -> None:
        target = store or (self.cache if self.cache is not None and self.cache.enabled else None)
        if target is None:
            return
        entry: dict[str, Any] = {"model": self.model, "host": self.host, "purpose": purpose}
        if reply is not None:
            est = reply.tokens_source != "server"
            entry.update({"ok": True, "cache_hit": reply.cached, "latency_s": round(reply.latency_s, 3),
                          "attempts": reply.attempts, "prompt_tokens": reply.prompt_tokens,
                          "completion_tokens": reply.completion_tokens, "tokens_source": reply.tokens_source,
                          "estimated_prompt_tokens": reply.prompt_tokens if est else None,
                          "estimated_completion_tokens": reply.completion_tokens if est else None,
                          "finish_reason": reply.finish_reason, "response_format": reply.response_format,
                          "masked": reply.masked})
        else:
            entry.update({"ok": False, "cache_hit": False, "error_kind": error_kind(error), "error": str(error),
                          "attempts": attempts, "latency_s": round(latency, 3),
                          "estimated_prompt_tokens": prompt_est, "response_format": self.response_format,
                          "prompt_tokens": getattr(error, "prompt_tokens", None),  # a cut answer's usage
                          "completion_tokens": getattr(error, "tokens", None), "masked": masked or []})
        target.record(entry)

    def _format_kwargs(self, step: int, schema: dict | None) -> dict | None:
        mode = FORMATS[step]
        if mode == "json_schema" and schema:
            return {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema}}
        if mode == "json_object_schema" and schema:
            return {"type": "json_object", "schema": schema}
        if mode in ("json_schema", "json_object_schema", "json_object"):
            return {"type": "json_object"}
        return None

    def _once(self, messages, want_json, schema, limit, on_token, deadline, cancel, *, plain) -> Reply:
        openai = require("openai", "llm")
        import httpx

        with _STEP_LOCK:
            step = _FORMAT_STEP.get(self.base_url, 0) if want_json and self.structured else len(FORMATS) - 1
        if want_json and not schema and step < 2:
            step = 2  # no schema: json_object is the strongest ask
        timeout = self.timeout
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise LLMTimeoutError(f"{self.host}: the review's deadline passed before this call")
            timeout = min(timeout, left)
        kwargs: dict[str, Any] = {"model": self.model, "messages": messages, "max_tokens": limit,
                                  "timeout": timeout}
        if self.temperature is not None:
            kwargs["temperature"] = self.temperature
        fmt = self._format_kwargs(step, schema)
        if fmt is not None:
            kwargs["response_format"] = fmt
        streaming = (self.stream or on_token is not None or cancel is not None) and not plain
        try:
            if streaming:
                return self._stream(kwargs, on_token, cancel, time.monotonic() + timeout, FORMATS[step])
            resp = self._openai().chat.completions.create(**kwargs)
            if not resp.choices:
                raise Transient("the answer has no choices")
            choice = resp.choices[0]
            text = choice.message.content or ""
            usage = getattr(resp, "usage", None)
            ptok = int(getattr(usage, "prompt_tokens", 0) or 0)
            ctok = int(getattr(usage, "completion_tokens", 0) or 0)
            if choice.finish_reason == "length":
                raise self._truncated(text, ctok or limit, limit, ptok)
            if on_token and text:
                on_token(text)
            return Reply(text, self.model, prompt_tokens=ptok, completion_tokens=ctok,
                         tokens_source="server" if ptok else "estimate", finish_reason=choice.finish_reason,
                         response_format=FORMATS[step])
        except openai.AuthenticationError as exc:
            raise _fatal(LLMError(f"{self.host}: 401 unauthorized: the API key was refused "
                           "(set FAULT_NB_LLM_API_KEY, or OPENAI_API_KEY for api.openai.com)")) from exc
        except openai.PermissionDeniedError as exc:
            raise _fatal(LLMError(f"{self.host}: 403 forbidden: this key may not use model {self.model!r}")) from exc
        except openai.NotFoundError as exc:
            raise _fatal(LLMError(f"{self.host}: 404: model {self.model!r} not found (or the base URL {self.base_url} "
                           "is not an OpenAI-compatible /v1 endpoint); check FAULT_NB_LLM_MODEL")) from exc
        except openai.RateLimitError as exc:
            raise Transient(f"429 rate limited: {_msg(exc)}", retry_after(exc.response.headers)) from exc
        except (openai.BadRequestError, openai.UnprocessableEntityError) as exc:
            text = (str(exc) + _msg(exc)).lower()
            if _is_overflow(text):
                raise LLMContextError(f"{self.host}: the prompt does not fit the model's context window "
                                      f"({_msg(exc)}); use a larger context (--n_ctx / num_ctx) or a shorter "
                                      "budget") from exc
            if "response_format" in kwargs and any(w in text for w in ("response_format", "json_schema", "schema",
                                                                       "json_object", "response format")):
                self._downgrade(step)  # remembered for this server for the session
                return self._once(messages, want_json, schema, limit, on_token, deadline, cancel, plain=plain)
            if "stream_options" in text and self.base_url not in _NO_STREAM_OPTIONS:
                with _STEP_LOCK:
                    _NO_STREAM_OPTIONS.add(self.base_url)
                return self._once(messages, want_json, schema, limit, on_token, deadline, cancel, plain=plain)
            if self.temperature is not None and "temperature" in text:
                self.temperature = None  # reasoning models accept only their default temperature
                return self._once(messages, want_json, schema, limit, on_token, deadline, cancel, plain=plain)
            raise LLMError(f"{self.host}: {exc.status_code} bad request: {_msg(exc)}") from exc
        except openai.APIStatusError as exc:
            if "response_format" in kwargs and "response_format" in (str(exc) + _msg(exc)).lower():
                # llama-cpp-python answers a response_format it cannot validate with a 500
                self._downgrade(step)
                return self._once(messages, want_json, schema, limit, on_token, deadline, cancel, plain=plain)
            if is_transient_status(exc.status_code):
                raise Transient(f"{exc.status_code} server error: {_msg(exc)}",
                                retry_after(exc.response.headers)) from exc
            raise LLMError(f"{self.host}: {exc.status_code}: {_msg(exc)}") from exc
        except openai.APITimeoutError as exc:
            raise LLMTimeoutError(f"{self.host}: the model did not answer within {timeout:g} s (not retried; "
                                  "raise --timeout / FAULT_NB_LLM_TIMEOUT or lower --max-tokens)") from exc
        except openai.APIConnectionError as exc:
            raise Transient(f"connection failed: {exc.__cause__ or exc}") from exc
        except (httpx.TransportError, httpx.StreamError) as exc:
            raise Transient(f"connection dropped: {exc}") from exc

    def _truncated(self, text: str, tokens: int, limit: int, prompt_tokens: int = 0) -> LLMTruncatedError:
        return LLMTruncatedError(f"{self.host}: the model's answer was cut at {tokens} tokens (max_tokens "
                                 f"{limit}); raise --max-tokens / FAULT_NB_LLM_MAX_TOKENS", text=text, tokens=tokens,
                                 prompt_tokens=prompt_tokens or None)

    def _stream(self, kwargs: dict, on_token, cancel, call_end: float, fmt: str) -> Reply:
        import httpx
        import openai

        parts: list[str] = []
        finish = None
        usage = None
        if self.base_url not in _NO_STREAM_OPTIONS:
            kwargs = {**kwargs, "stream_options": {"include_usage": True}}
        stream = self._openai().chat.completions.create(stream=True, **kwargs)
        try:
            for chunk in stream:
                if cancel is not None and cancel.is_set():
                    raise LLMCancelledError(f"{self.host}: cancelled after {len(parts)} streamed piece(s); "
                                            "the stream was closed")
                if time.monotonic() > call_end:
                    raise LLMTimeoutError(f"{self.host}: the model was still answering after "
                                          f"{kwargs['timeout']:g} s (not retried; raise --timeout / "
                                          "FAULT_NB_LLM_TIMEOUT or lower --max-tokens)")
                if getattr(chunk, "usage", None) is not None:
                    usage = chunk.usage
                if not chunk.choices:
                    continue
                choice = chunk.choices[0]
                piece = getattr(choice.delta, "content", None) if choice.delta is not None else None
                if piece:
                    parts.append(piece)
                    if on_token:
                        on_token(piece)
                if choice.finish_reason:
                    finish = choice.finish_reason
        except openai.APITimeoutError as exc:
            raise LLMTimeoutError(f"{self.host}: the stream stalled for {kwargs['timeout']:g} s (not retried; "
                                  "raise --timeout / FAULT_NB_LLM_TIMEOUT)") from exc
        except (openai.APIConnectionError, httpx.TransportError, httpx.StreamError) as exc:
            if not parts:
                raise _plain_retry(f"the stream was dropped before the first token ({exc})") from exc
            finish = None
        finally:
            stream.close()  # an abandoned stream closes its connection: the server stops generating
        text = "".join(parts)
        ptok = int(getattr(usage, "prompt_tokens", 0) or 0)
        ctok = int(getattr(usage, "completion_tokens", 0) or 0)
        if finish == "length":
            raise self._truncated(text, ctok or kwargs["max_tokens"], kwargs["max_tokens"], ptok)
        if finish is None:
            if not parts:  # e.g. llama.cpp answers 200 and drops the stream on a context overflow:
                raise _plain_retry("the stream ended before the first token")  # ask once without streaming
            raise LLMTruncatedError(f"{self.host}: the stream ended after {ctok or estimate_tokens(text)} tokens "
                                    "without a finish reason (the server dropped it); the answer is incomplete",
                                    text=text, tokens=ctok or estimate_tokens(text), prompt_tokens=ptok or None)
        return Reply(text, self.model, prompt_tokens=ptok, completion_tokens=ctok,
                     tokens_source="server" if ptok else "estimate", finish_reason=finish, response_format=fmt)


def fit_budget(llm: Any, messages_without_context: list[dict], budget_tokens: int, max_tokens: int) -> int:
    """The code-context budget that keeps the prompt plus the answer inside the model's context window.

    The window is ``llm.context_window()`` (``FAULT_NB_LLM_CONTEXT`` or what the server says); unknown
    windows leave ``budget_tokens`` as is. Estimates run high on real tokenizers, so this errs on the safe side.
    """
    window = llm.context_window() if hasattr(llm, "context_window") else None
    if not window:
        return budget_tokens
    limit = int(getattr(llm, "max_tokens", None) or max_tokens)
    rest = sum(estimate_tokens(m.get("content") or "") for m in messages_without_context)
    room = window - limit - rest - 64
    if room < 200:
        raise LLMContextError(f"{host_of(llm.base_url)}: the model's context window ({window} tokens) leaves no "
                              f"room for the code after the instructions (~{rest} tokens) and the answer "
                              f"({limit}); use a larger context or lower --max-tokens")
    return max(200, min(budget_tokens, room))


def _fatal(exc: LLMError) -> LLMError:
    exc.fatal = True  # type: ignore[attr-defined]  # the same for every call: review_all stops at it
    return exc


def _plain_retry(message: str) -> Transient:
    exc = Transient(message)
    exc.plain = True  # type: ignore[attr-defined]  # the retry asks without streaming, to get the real error
    return exc


def error_kind(exc: Exception | None) -> str:
    """A short name of a failure for the ledger and the reports."""
    return {LLMTruncatedError: "truncated", LLMContextError: "context-overflow", LLMTimeoutError: "timeout",
            LLMCancelledError: "cancelled"}.get(type(exc), "error" if exc is not None else "")


def _is_overflow(text: str) -> bool:
    return any(w in text for w in ("context window", "context length", "context_length", "maximum context",
                                   "exceed context", "too many tokens", "exceeds the context"))


def _msg(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])
        if isinstance(err, str):
            return err
    return str(getattr(exc, "message", exc))


def _provider_for_host(host: str) -> str:
    for name, (url, _, _) in PRESETS.items():
        if host_of(url) == host:
            return name
    return "openai-compatible"


# hosts of the hosted presets (OpenAI, OpenRouter, Gemini): they serve neither /props nor /api/show
_HOSTED = frozenset(h for h in (host_of(url) for url, _, _ in PRESETS.values())
                    if h not in ("localhost", "127.0.0.1", "::1"))


def _probe_context(base_url: str, model: str, api_key: str | None) -> int | None:
    """n_ctx from llama.cpp's ``/props`` or Ollama's ``/api/show``; None when neither answers in 3 s.

    A hosted preset's host is not asked (two wasted requests carrying the key).
    """
    import httpx

    if host_of(base_url) in _HOSTED:
        return None
    root = base_url[:-3] if base_url.endswith("/v1") else base_url
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    try:
        with httpx.Client(timeout=3.0, headers=headers) as client:
            r = client.get(f"{root}/props")
            if r.status_code == 200:
                data = r.json()
                n = (data.get("default_generation_settings") or {}).get("n_ctx") or data.get("n_ctx")
                if isinstance(n, int) and n > 0:
                    return n
            r = client.post(f"{root}/api/show", json={"model": model})
            if r.status_code == 200:
                data = r.json()
                for k, v in (data.get("model_info") or {}).items():
                    if k.endswith(".context_length") and isinstance(v, int) and v > 0:
                        return v
    except (httpx.HTTPError, ValueError, AttributeError):
        return None
    return None


def llm_from_env(environ: Mapping[str, str] | None = None, **kwargs: Any) -> LLMClient | None:
    """The configured LLM client, or ``None`` when nothing is configured (then the rules reviewer is used).

    >>> llm_from_env({}) is None
    True
    """
    settings = Settings.from_env(os.environ if environ is None else environ).llm
    if not settings.configured:
        return None
    return LLMClient.from_settings(settings, **kwargs)
