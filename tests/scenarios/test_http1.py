"""The one HTTP/1.1 layer (fault_nb.scenarios.http1): framing, and what the proxy answers to bad input."""
from __future__ import annotations

import asyncio
import socket
import threading

import pytest

from fault_nb.scenarios import http1
from fault_nb.scenarios.proxy import start_proxy
from fault_nb.scenarios.strategies import Call, send


def _raw(port: int, data: bytes, timeout: float = 5.0) -> bytes:
    """Send ``data`` on a fresh connection and read until the peer closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        chunks = []
        while True:
            try:
                piece = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not piece:
                break
            chunks.append(piece)
    return b"".join(chunks)


class _RawOrigin:
    """A loopback server answering every connection with the same canned bytes, then closing."""

    def __init__(self, answer: bytes):
        self.answer, self.requests = answer, []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            with conn:
                conn.settimeout(2)
                data = b""
                try:
                    while b"\r\n\r\n" not in data:
                        piece = conn.recv(65536)
                        if not piece:
                            break
                        data += piece
                except socket.timeout:
                    pass
                self.requests.append(data)
                conn.sendall(self.answer)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


@pytest.fixture
def origin():
    made = []

    def _make(answer: bytes) -> _RawOrigin:
        o = _RawOrigin(answer)
        made.append(o)
        return o

    yield _make
    for o in made:
        o.close()


@pytest.mark.parametrize("request_bytes, status", [
    (b"NOT A REQUEST\r\n\r\n", b"400"),
    (b"GET / HTTP/1.1\r\nHost: a\r\nbad header line\r\n\r\n", b"400"),
    (b"GET / HTTP/1.1\r\n\r\n", b"400"),  # HTTP/1.1 without Host
    (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ten\r\n\r\n", b"400"),
    (b"GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + b"x" * (200 * 1024) + b"\r\n\r\n", b"431"),
])
def test_a_malformed_request_gets_an_error_answer_not_a_dropped_connection(request_bytes, status):
    with start_proxy([], upstream="http://127.0.0.1:9") as proxy:
        answer = _raw(proxy.port, request_bytes)
    assert answer.split(b" ", 2)[1] == status, answer[:200]
    assert b"malformed request" in answer


def test_chunked_and_close_delimited_responses_are_reframed_with_the_same_body(origin):
    chunked = origin(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
                     b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nx-trailer: 1\r\n\r\n")
    until_close = origin(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nall of it until close")
    for server, body in ((chunked, b"hello world"), (until_close, b"all of it until close")):
        with start_proxy([], upstream=f"http://127.0.0.1:{server.port}") as proxy:
            out = asyncio.run(send(_call("GET", "127.0.0.1", proxy.port), proxy, via_proxy=False))
        assert not (out.errored or out.timed_out)
        assert out.status == 200
        assert out.body_length == len(body)


def test_head_and_204_have_no_body_even_with_a_content_length(origin):
    server = origin(b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n")
    with start_proxy([], upstream=f"http://127.0.0.1:{server.port}") as proxy:
        out = asyncio.run(send(_call("HEAD", "127.0.0.1", proxy.port), proxy, via_proxy=False))
    assert not (out.errored or out.timed_out)
    assert (out.status, out.body_length) == (200, 0)
    assert server.requests[0].startswith(b"HEAD / HTTP/1.1\r\n")


def test_an_upstream_that_does_not_speak_http_is_a_502(origin):
    server = origin(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")
    with start_proxy([], upstream=f"http://127.0.0.1:{server.port}") as proxy:
        answer = _raw(proxy.port, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 502 ")


def test_hop_headers_stay_on_their_hop(origin):
    server = origin(b"HTTP/1.1 204 No Content\r\nconnection: keep-alive\r\nkeep-alive: timeout=5\r\n\r\n")
    with start_proxy([], upstream=f"http://127.0.0.1:{server.port}") as proxy:
        answer = _raw(proxy.port, b"GET /x HTTP/1.1\r\nHost: a\r\nProxy-Authorization: secret\r\n"
                                  b"Keep-Alive: 5\r\nX-End: 1\r\n\r\n")
    sent = server.requests[0].lower()
    assert b"proxy-authorization" not in sent and b"keep-alive" not in sent and b"x-end: 1" in sent
    assert b"connection: close" in sent
    assert b"keep-alive" not in answer.lower() and answer.startswith(b"HTTP/1.1 204 ")


def test_helpers():
    assert http1.reason(503) == "Service Unavailable"
    assert http1.reason(599) == "Unknown"
    assert http1.forwarded([("Connection", "x"), ("TE", "t"), ("A", "1")]) == [("A", "1")]
    with pytest.raises(http1.ProtocolError):
        http1.request_event("GET", "/a b", [("host", "x")])


def _call(method: str, host: str, port: int) -> Call:
    return Call(method=method, url=f"http://{host}:{port}/", scheme="http", host=host, port=port,
                target="/", timeout=5.0)
