"""HTTP/1.1 framing for the proxy and the scenario client, on h11.

The one place that parses request and response heads and frames bodies
(Content-Length, chunked, read-until-close, HEAD/204/304, ``Expect: 100-continue``).
Both the fault-injecting proxy (:mod:`fault_nb.scenarios.proxy`) and the client
that sends scenario requests (:mod:`fault_nb.scenarios.strategies`) use it.

The proxy must pass every byte it moves through its fault stages, so it does
not hand the sockets to a library: it reads raw bytes itself (:func:`next_event`
calls ``on_read(nbytes)`` for each read, which is where ingress faults act),
feeds them to an :class:`h11.Connection` and writes the bytes that h11 produces
for the other side through the egress stages. Framing and validation are h11's.

>>> conn = h11.Connection(h11.SERVER)
>>> conn.receive_data(b"GET /x HTTP/1.1\\r\\nHost: a\\r\\n\\r\\n")
>>> request_head(conn.next_event()).target
'/x'
>>> response_bytes(400, {"error": "bad"})[:24]
b'HTTP/1.1 400 Bad Request'
"""
from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from http import HTTPStatus
from typing import Awaitable, Callable

import h11

MAX_HEAD = 64 * 1024  # a head larger than this is refused (431)
READ_PIECE = 64 * 1024
# headers that describe one connection, never forwarded (RFC 9110 7.6.1)
HOP_HEADERS = frozenset({"connection", "keep-alive", "proxy-connection", "proxy-authorization",
                         "te", "upgrade", "expect", "trailer"})
FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding"})


class ProtocolError(ValueError):
    """The peer sent something that is not HTTP/1.1; ``status`` is the answer it deserves."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class RequestHead:
    method: str
    target: str
    headers: list[tuple[str, str]]
    http_version: str

    def header(self, name: str) -> str | None:
        return _header(self.headers, name)


@dataclass(frozen=True)
class ResponseHead:
    status: int
    reason: str
    headers: list[tuple[str, str]]

    def header(self, name: str) -> str | None:
        return _header(self.headers, name)


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    name = name.lower()
    return next((v for k, v in headers if k.lower() == name), None)


def _text_headers(headers) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers.raw_items()]


def request_head(event) -> RequestHead:
    return RequestHead(event.method.decode("ascii"), event.target.decode("latin-1"),
                       _text_headers(event.headers), event.http_version.decode("ascii"))


def response_head(event) -> ResponseHead:
    return ResponseHead(event.status_code, event.reason.decode("latin-1"), _text_headers(event.headers))


def reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def forwarded(headers: list[tuple[str, str]], *, drop: frozenset[str] = frozenset()) -> list[tuple[str, str]]:
    """``headers`` minus the hop-by-hop ones (and ``drop``), for the next hop."""
    return [(k, v) for k, v in headers if k.lower() not in HOP_HEADERS and k.lower() not in drop]


def response_bytes(status: int, payload: dict) -> bytes:
    """A complete ``connection: close`` JSON response the proxy writes on its own behalf."""
    body = json.dumps(payload).encode()
    return (f"HTTP/1.1 {status} {reason(status)}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n").encode() + body


async def next_event(conn: h11.Connection, reader, *,
                     on_read: Callable[[int], Awaitable[bool]] | None = None,
                     piece: int = READ_PIECE):
    """The next h11 event from ``reader``; ``None`` when ``on_read`` dropped the connection.

    ``on_read(n)`` runs after each read of ``n`` bytes (the proxy's ingress
    faults) and returns False to drop. Malformed input raises :class:`ProtocolError`.
    """
    while True:
        try:
            event = conn.next_event()
        except h11.RemoteProtocolError as exc:
            raise ProtocolError(str(exc), exc.error_status_hint) from None
        if event is not h11.NEED_DATA:
            return event
        data = await reader.read(piece)
        if data and on_read is not None and not await on_read(len(data)):
            return None
        try:
            conn.receive_data(data)
        except h11.RemoteProtocolError as exc:
            raise ProtocolError(str(exc), exc.error_status_hint) from None


async def read_head(conn: h11.Connection, reader):
    """``(event, nbytes)``: the next head (Request, Response or 1xx) read as ONE operation.

    The head is read up to its blank line and no further, so the proxy's
    per-operation faults see the same operations whatever the TCP segments were
    (head, then body pieces). ``reader`` must have been created with
    ``limit=MAX_HEAD``; a longer head is a 431. At EOF the event is ``ConnectionClosed``.
    """
    try:
        data = await reader.readuntil(b"\r\n\r\n")
    except asyncio.LimitOverrunError:
        raise ProtocolError(f"head larger than {MAX_HEAD} bytes", 431) from None
    except asyncio.IncompleteReadError as exc:
        data = exc.partial
    try:
        conn.receive_data(data)
        if not data.endswith(b"\r\n\r\n"):
            conn.receive_data(b"")
        event = conn.next_event()
    except h11.RemoteProtocolError as exc:
        raise ProtocolError(str(exc), exc.error_status_hint) from None
    if event is h11.NEED_DATA:  # cannot happen with a whole head; guard against a silent hang
        raise ProtocolError("incomplete head")
    return event, len(data)


def send(conn: h11.Connection, event) -> bytes:
    """The bytes h11 writes for ``event`` (raises :class:`ProtocolError` for an invalid one)."""
    try:
        return conn.send(event) or b""
    except h11.LocalProtocolError as exc:
        raise ProtocolError(str(exc), 502) from None


def server_connection() -> h11.Connection:
    return h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD)


def client_connection() -> h11.Connection:
    return h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEAD)


def request_event(method: str, target: str, headers: list[tuple[str, str]]) -> h11.Request:
    try:
        return h11.Request(method=method, target=target, headers=headers)
    except h11.LocalProtocolError as exc:
        raise ProtocolError(f"cannot send {method} {target[:200]}: {exc}") from None


def response_event(status: int, headers: list[tuple[str, str]], reason_text: str | None = None):
    cls = h11.InformationalResponse if status < 200 else h11.Response
    return cls(status_code=status, headers=headers, reason=reason_text or reason(status))


Data = h11.Data
EndOfMessage = h11.EndOfMessage
Request = h11.Request
Response = h11.Response
InformationalResponse = h11.InformationalResponse
ConnectionClosed = h11.ConnectionClosed
