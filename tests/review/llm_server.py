"""A local OpenAI-compatible chat server for tests: real sockets, SSE streaming, scriptable.

    with LLMServer() as server:
        server.push({"content": '{"suggestions": []}'})      # next answer
        server.push({"status": 429, "headers": {"Retry-After": "0"}})
        client = LLMClient(base_url=server.url, model="test-model")

Each request takes the next scripted answer (or calls ``server.handler(body)``
when the script is empty). Answers:

- ``{"content": str}``: a normal completion (SSE chunks when the request streams)
- ``{"status": int, "error": str, "headers": {...}}``: an error response
- ``{"delay": seconds, ...}``: wait before answering (a slow model)
- ``{"truncate": True, "content": str}``: stream half the answer, then drop the connection
- ``{"drop": True}``: close the connection without answering
- ``{"drop_after_headers": True}``: a streamed 200, then the connection closes (llama.cpp's context overflow)
- ``{"finish_reason": "length", "content": str}``: an answer cut at max_tokens (both modes)
- ``{"usage": {...}}``: the usage to report (always in plain answers; streamed when asked by
  ``stream_options.include_usage``)

``server.formats`` (e.g. ``{"json_object"}``) makes it refuse other
``response_format`` kinds with a 400 (``json_object_schema`` = json_object with a
schema); ``server.n_ctx`` makes ``GET /props`` report a context window.

Every request is recorded in ``server.requests`` as ``{"path", "headers", "body"}``.
"""
from __future__ import annotations

import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def log_message(self, *args: Any) -> None:  # keep pytest output clean
        pass

    def do_GET(self) -> None:  # noqa: N802
        owner = self.server.owner
        with owner.lock:
            owner.requests.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                                   "body": None})
        if self.path.rstrip("/").endswith("/models"):
            self._json(200, {"object": "list", "data": [{"id": "test-model", "object": "model"}]})
        elif self.path.rstrip("/") == "/props" and owner.n_ctx:  # llama.cpp's server says its context size
            self._json(200, {"default_generation_settings": {"n_ctx": owner.n_ctx}})
        else:
            self._json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {"_raw": raw.decode("utf-8", "replace")}
        owner = self.server.owner
        chat = self.path.rstrip("/").endswith("/chat/completions")
        with owner.lock:
            owner.requests.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                                   "body": body})
            spec = owner.script.popleft() if owner.script and chat else None
        if not chat:
            self._json(404, {"error": {"message": f"unknown path {self.path}", "type": "invalid_request_error"}})
            return
        if spec is None:
            spec = owner.handler(body) if owner.handler else {"content": "ok"}
        if callable(spec):
            spec = spec(body)
        fmt = (body.get("response_format") or {}).get("type")
        if fmt and owner.formats is not None:
            kind = "json_object_schema" if fmt == "json_object" and "schema" in body["response_format"] else fmt
            if kind not in owner.formats:
                with owner.lock:  # a refusal does not use up the scripted answer
                    owner.script.appendleft(spec)
                self._json(400, {"error": {"message": f"response_format {kind} is not supported",
                                           "type": "invalid_request_error"}})
                return
        if spec.get("delay"):
            time.sleep(float(spec["delay"]))
        if spec.get("drop"):
            self.close_connection = True
            self.connection.shutdown(2)
            return
        status = int(spec.get("status", 200))
        if status != 200:
            err = {"error": {"message": spec.get("error", f"scripted {status}"), "type": spec.get("type", "error"),
                             "code": spec.get("code")}}
            self._json(status, err, spec.get("headers"))
            return
        content = spec.get("content", "")
        model = body.get("model", "test-model")
        finish = spec.get("finish_reason", "stop")
        usage = spec.get("usage") or {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}
        if body.get("stream"):
            if spec.get("drop_after_headers"):  # llama.cpp on a context overflow while streaming
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(2)
                return
            with_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            self._stream(content, model, truncate=bool(spec.get("truncate")), pause=float(spec.get("pause", 0)),
                         finish=finish, usage=usage if with_usage else None)
        elif spec.get("truncate"):
            payload = json.dumps(_completion(content, model)).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload[: len(payload) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
        else:
            self._json(200, _completion(content, model, finish, usage))

    def _json(self, status: int, data: dict, headers: dict | None = None) -> None:
        payload = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        for k, v in (headers or {}).items():
            self.send_header(k, str(v))
        self.end_headers()
        self.wfile.write(payload)

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _stream(self, content: str, model: str, *, truncate: bool, pause: float, finish: str = "stop",
                usage: dict | None = None) -> None:
        owner = self.server.owner
        try:
            self._stream_events(content, model, truncate=truncate, pause=pause, finish=finish, usage=usage)
        except (BrokenPipeError, ConnectionResetError):  # the client closed the stream: stop generating
            with owner.lock:
                owner.disconnects += 1

    def _stream_events(self, content: str, model: str, *, truncate: bool, pause: float, finish: str,
                       usage: dict | None) -> None:
        owner = self.server.owner
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        pieces = [content[i:i + 7] for i in range(0, len(content), 7)] or [""]
        if truncate:
            pieces = pieces[: max(1, len(pieces) // 2)]
        for i, piece in enumerate(pieces):
            event = {"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": int(time.time()),
                     "model": model, "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
            if i == 0:
                event["choices"][0]["delta"]["role"] = "assistant"
            self._chunk(f"data: {json.dumps(event)}\n\n".encode())
            with owner.lock:
                owner.pieces_sent += 1
            if pause:
                time.sleep(pause)
        if truncate:  # no finish_reason, no [DONE], no terminating chunk: the peer just goes away
            self.close_connection = True
            self.connection.shutdown(2)
            return
        done = {"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": int(time.time()),
                "model": model, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]}
        self._chunk(f"data: {json.dumps(done)}\n\n".encode())
        if usage:
            last = {"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": int(time.time()),
                    "model": model, "choices": [], "usage": usage}
            self._chunk(f"data: {json.dumps(last)}\n\n".encode())
        self._chunk(b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


def _completion(content: str, model: str, finish: str = "stop", usage: dict | None = None) -> dict:
    return {"id": "chatcmpl-test", "object": "chat.completion", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish}],
            "usage": usage or {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: "LLMServer"

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        # a client that timed out and went away is part of the script, not a server bug
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


class LLMServer:
    """A scriptable OpenAI-compatible server on a free loopback port."""

    def __init__(self, handler: Callable[[dict], dict] | None = None):
        self.script: deque = deque()
        self.requests: list[dict] = []
        self.handler = handler
        self.lock = threading.Lock()
        self.formats: set[str] | None = None  # response_format kinds accepted (None: all); others get a 400
        self.n_ctx: int | None = None  # answered on GET /props (llama.cpp's shape) when set
        self.pieces_sent = 0  # streamed content events written
        self.disconnects = 0  # streams the client closed before the end
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._httpd is not None, "server not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def push(self, *specs: dict | Callable[[dict], dict]) -> "LLMServer":
        with self.lock:
            self.script.extend(specs)
        return self

    def chat_requests(self) -> list[dict]:
        return [r for r in self.requests if r["path"].rstrip("/").endswith("/chat/completions")]

    def start(self) -> "LLMServer":
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="llm-test-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> "LLMServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
