"""A fault-injecting HTTP/1.1 proxy on asyncio streams.

Two placements:

* **forward** (what the scenario runner uses, like fault's 127.0.0.1:3180):
  clients send absolute-URI requests (``GET http://host:port/path``) or
  ``CONNECT host:port``; only targets listed in ``upstreams`` get the faults,
  anything else passes through untouched.
* **reverse**, in front of one dependency: ``start_proxy(faults,
  upstream="http://127.0.0.1:9191")`` forwards every origin-form request to
  that upstream with the faults applied; point the app's ``INVENTORY_URL`` at
  ``handle.url``.

Each client connection carries one request (the proxy answers with
``Connection: close``), so events can be attributed to the client's local
port, which is how the runner fills ``metrics.faults`` and ``metrics.dns``.
With a ``seed``, every random decision for a request (latency and jitter
draws, losses, the http-error coin, DNS failures) comes from streams that
depend only on the seed and the request's draw token: the runner names each
request ``scenario:item:index`` in an ``x-fault-nb-draw`` header (removed
before forwarding); requests without one (an app calling a dependency through
a reverse proxy) are numbered in arrival order since the last
:meth:`ProxyHandle.set_faults`. See :class:`~fault_nb.scenarios.faults.Draws`.

Fault semantics (side, direction, periods) are described in
:mod:`fault_nb.scenarios.faults`; :mod:`fault_nb.scenarios.hooks` applies them
to each read and write. A fault's ``period`` is evaluated when a
request arrives, relative to the last :meth:`ProxyHandle.set_faults` (the item
start); a blackhole also ends its stall when its window closes.

>>> with start_proxy([{"type": "latency", "mean": 300.0, "stddev": 0.0}],
...                  upstream="http://127.0.0.1:9191") as proxy:  # doctest: +SKIP
...     requests.get(proxy.url + "/items/sku-1")   # about 300 ms slower
"""
from __future__ import annotations

import asyncio
import collections
import ipaddress
import socket
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..errors import ScenarioRunError
from . import http1
from .faults import Dns, Draws, Fault, HttpError, build_faults
from .hooks import Exchange, Stage, pump, send_through

DRAW_HEADER = "x-fault-nb-draw"  # the runner's name for a request: scenario:item:index
_MAX_RECORDS = 50_000


@dataclass
class _Config:
    faults: list[Fault]
    upstreams: frozenset[str] | None  # None: every target gets the faults
    t0: float


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return False


def _split_hostport(authority: str, default_port: int) -> tuple[str, int]:
    if authority.startswith("["):
        host, _, rest = authority[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else default_port
    host, sep, port = authority.rpartition(":")
    if sep and port.isdigit():
        return host, int(port)
    return authority, default_port


class ProxyServer:
    """The proxy itself, bound to whatever event loop starts it (see :func:`start_proxy`)."""

    def __init__(self, faults: list | None = None, *, upstream: str | None = None,
                 upstreams: list[str] | None = None, run_seconds: float | None = None,
                 seed: int | None = None):
        self.upstream = None
        if upstream:
            u = urlsplit(upstream if "://" in upstream else f"http://{upstream}")
            if u.scheme != "http" or not u.hostname:
                raise ScenarioRunError(f"upstream {upstream!r}: expected http://host[:port]")
            self.upstream = (u.hostname, u.port or 80, u.netloc)
        self.seed = seed
        self._arrivals = 0
        self.records: collections.OrderedDict[int, Exchange] = collections.OrderedDict()
        self.log: collections.deque[Exchange] = collections.deque(maxlen=10_000)
        self._server: asyncio.base_events.Server | None = None
        self._tasks: set[asyncio.Task] = set()
        self.set_faults(faults or [], upstreams=upstreams, run_seconds=run_seconds)

    def set_faults(self, faults: list, *, upstreams: list[str] | None = None,
                   run_seconds: float | None = None, t0: float | None = None) -> None:
        """Install ``faults`` (dicts or Fault objects); periods count from ``t0`` (now)."""
        built = [f if isinstance(f, Fault) else None for f in faults]
        if any(b is None for b in built):
            built = build_faults([f if isinstance(f, dict) else f.config for f in faults], run_seconds)
        ups = None if upstreams is None else frozenset(normalise_upstream(u) for u in upstreams)
        self._cfg = _Config(built, ups, time.monotonic() if t0 is None else t0)
        self._arrivals = 0  # requests without a draw token are numbered from here

    def take(self, client_port: int) -> Exchange | None:
        """Pop the record of the connection that came from ``client_port``."""
        return self.records.pop(client_port, None)

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        try:
            self._server = await asyncio.start_server(self._handle, host, port, limit=http1.MAX_HEAD,
                                                      backlog=1024)
        except OSError as exc:
            raise ScenarioRunError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        return self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for t in list(self._tasks):
            t.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self._tasks.add(task)
        owned: list = [writer]
        try:
            await self._serve(reader, writer, owned)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError, ValueError):
            pass
        except asyncio.CancelledError:  # proxy shutting down; asyncio would log a re-raised one
            pass
        finally:
            self._tasks.discard(task)
            for w in owned:
                if isinstance(w, Exchange):
                    w.done = True
                else:
                    w.close()

    def _record(self, port: int, ex: Exchange) -> None:
        self.records[port] = ex
        self.log.append(ex)
        while len(self.records) > _MAX_RECORDS:
            self.records.popitem(last=False)

    async def _serve(self, reader, writer, owned):
        client = http1.server_connection()
        try:
            event, head_bytes = await http1.read_head(client, reader)
        except http1.ProtocolError as exc:  # a malformed request is answered, not swallowed
            writer.write(http1.response_bytes(exc.status, {"error": f"malformed request: {exc}"}))
            await writer.drain()
            return None
        if not isinstance(event, http1.Request):
            return None  # the client connected and closed without a request
        req = http1.request_head(event)
        method, target = req.method, req.target
        cfg = self._cfg
        client_port = writer.get_extra_info("peername")[1]
        alive = lambda: not (reader.at_eof() or writer.is_closing())  # noqa: E731
        if method == "CONNECT":
            host, port = _split_hostport(target, 443)
            ex = Exchange(url=f"{host}:{port}")
            tunnel = True
        elif target.startswith("http://"):
            u = urlsplit(target)
            host, port = u.hostname or "", u.port or 80
            path = (u.path or "/") + (f"?{u.query}" if u.query else "")
            ex = Exchange(url=f"http://{u.netloc}{path}")
            tunnel = False
        elif target.startswith("/") and self.upstream:
            host, port, netloc = self.upstream
            path = target
            ex = Exchange(url=f"http://{netloc}{path}")
            tunnel = False
        else:
            writer.write(http1.response_bytes(400, {"error": f"unsupported request target {target[:200]!r}"}))
            await writer.drain()
            return None
        self._record(client_port, ex)
        owned.append(ex)
        faulted = cfg.upstreams is None or f"{host}:{port}" in cfg.upstreams
        elapsed = time.monotonic() - cfg.t0
        active = [f for f in cfg.faults if f.active(elapsed)] if faulted else []
        ex.passthrough = not faulted
        token = req.header(DRAW_HEADER)
        if token is None:
            token = f"arrival:{self._arrivals}"
            self._arrivals += 1
        draws = Draws(self.seed, token)

        for f in active:
            if isinstance(f, Dns) and not _is_ip(host) and draws.stream("dns", f.slot).random() < f.rate:
                ex.dns.append({"host": host, "duration": 0.0, "resolved": False})
                ex.applied.append({"type": "dns", "direction": "egress", "side": "server", "triggered": True})
                if tunnel:
                    return None
                ex.status = 500
                writer.write(http1.response_bytes(500, {"error": f"failed to resolve {host}: dns fault injected"}))
                await writer.drain()
                return None
        try:
            up_reader, up_writer = await self._connect(host, port, ex, record_dns=faulted)
            owned.append(up_writer)
        except OSError as exc:
            if not tunnel and self.upstream:
                ex.status = 502
                writer.write(http1.response_bytes(502, {"error": f"upstream {host}:{port}: {exc}"}))
                await writer.drain()
            return None  # forward mode: the client sees the refused connection as a transport error

        def stages(read_side: str, write_side: str) -> tuple[Stage, Stage]:
            r = [f for f in active if not isinstance(f, (Dns, HttpError)) and f.side == read_side and f.hooks()[0]]
            w = [f for f in active if not isinstance(f, (Dns, HttpError)) and f.side == write_side and f.hooks()[1]]
            return (Stage(r, "ingress", ex, draws.stream(read_side, "ingress"), cfg.t0, alive),
                    Stage(w, "egress", ex, draws.stream(write_side, "egress"), cfg.t0, alive))

        if tunnel:
            writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            await writer.drain()
            early, _closed = client.trailing_data  # bytes the client sent right after its CONNECT
            if early:
                up_writer.write(early)
            c_in, s_out = stages("client", "server")
            s_in, c_out = stages("server", "client")
            await asyncio.gather(pump(reader, up_writer, c_in, s_out), pump(up_reader, writer, s_in, c_out))
            return None

        req_in, req_out = stages("client", "client")
        resp_in, resp_out = stages("server", "server")
        upstream = http1.client_connection()
        if await _forward_request(client, reader, writer, upstream, up_writer, req, path, head_bytes, ex,
                                  req_in, req_out):
            await _forward_response(upstream, up_reader, client, writer, ex, active, draws, resp_in, resp_out)
        return None

    async def _connect(self, host: str, port: int, ex: Exchange, *, record_dns: bool):
        loop = asyncio.get_running_loop()
        if _is_ip(host):
            return await _open(host.strip("[]"), port)
        t = time.perf_counter()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError:
            if record_dns:
                ex.dns.append({"host": host, "duration": (time.perf_counter() - t) * 1000, "resolved": False})
            raise
        if record_dns:
            ex.dns.append({"host": host, "duration": (time.perf_counter() - t) * 1000, "resolved": True})
        last: OSError = OSError(f"no address for {host}")
        for family, _type, _proto, _name, addr in infos:
            try:
                return await _open(addr[0], addr[1])
            except OSError as exc:
                last = exc
        raise last


CONNECT_TIMEOUT_S = 10.0  # an upstream that never accepts: the client gets a 502, not a hang


async def _open(host: str, port: int):
    """A connection to the upstream within ``CONNECT_TIMEOUT_S`` (an ``OSError`` naming the wait otherwise)."""
    try:
        return await asyncio.wait_for(asyncio.open_connection(host, port, limit=http1.MAX_HEAD), CONNECT_TIMEOUT_S)
    except asyncio.TimeoutError:  # the builtin TimeoutError only from Python 3.11
        raise OSError(f"no connection after {CONNECT_TIMEOUT_S:g} s") from None


async def _forward_request(client, reader, writer, upstream, up_writer, req: http1.RequestHead, path: str,
                           head_bytes: int, ex: Exchange, req_in: Stage, req_out: Stage) -> bool:
    """Send the request head and body upstream through the request-path stages; False if dropped."""
    headers = http1.forwarded(req.headers, drop=frozenset({DRAW_HEADER}))
    if req.header("host") is None:  # HTTP/1.0 clients may leave it out; the upstream needs one
        headers.insert(0, ("Host", ex.url.split("/")[2]))
    headers.append(("Connection", "close"))
    data = http1.send(upstream, http1.request_event(req.method, path, headers))
    if client.they_are_waiting_for_100_continue:
        # curl waits for this before sending a body; the upstream never sees the Expect
        writer.write(http1.send(client, http1.response_event(100, [])))
        await writer.drain()
    # request path: the head, then the body as the client sends it
    if not (await req_in.op(head_bytes) and await send_through(up_writer, data, req_out)):
        return False
    while True:
        event = await http1.next_event(client, reader, on_read=req_in.op, piece=req_in.piece)
        if event is None:
            return False
        if isinstance(event, http1.ConnectionClosed):
            raise http1.ProtocolError("the client closed the connection inside its request")
        out = http1.send(upstream, event)
        if out and not await send_through(up_writer, out, req_out):
            return False
        if isinstance(event, http1.EndOfMessage):
            break
    req_in.end()
    req_out.end()
    return True


async def _forward_response(upstream, up_reader, client, writer, ex: Exchange, active: list[Fault],
                            draws: Draws, resp_in: Stage, resp_out: Stage) -> None:
    """Relay the upstream response through the response-path stages (and the http errors)."""
    while True:
        try:
            if ex.status is None:  # the head (or an interim 1xx head): one read operation
                event, nbytes = await http1.read_head(upstream, up_reader)
                event = event if await resp_in.op(nbytes) else None
            else:
                event = await http1.next_event(upstream, up_reader, on_read=resp_in.op, piece=resp_in.piece)
        except http1.ProtocolError as exc:
            if ex.status is None:  # the upstream did not speak HTTP: the client gets a 502
                ex.status = 502
                writer.write(http1.response_bytes(502, {"error": f"upstream: {exc}"}))
                await writer.drain()
            return
        if event is None or isinstance(event, http1.ConnectionClosed):
            return
        if isinstance(event, http1.InformationalResponse):
            continue  # interim 1xx answers are not the response
        if isinstance(event, http1.Response):
            head = http1.response_head(event)
            ex.status, reason, replace_body = head.status, head.reason, None
            for f in active:
                if isinstance(f, HttpError) and draws.stream("http-error", f.slot).random() < f.probability:
                    ex.status, reason = f.status_code, http1.reason(f.status_code)
                    ex.applied.append({"type": "httpresponsefault", "direction": "ingress", "side": "server",
                                       "status_code": f.status_code, "response_body": f.body})
                    if f.body is not None:
                        replace_body = f.body.encode()
            headers = http1.forwarded(head.headers, drop=http1.FRAMING_HEADERS if replace_body is not None
                                      else frozenset())
            if replace_body is not None:
                headers.append(("content-length", str(len(replace_body))))
            headers.append(("connection", "close"))
            out = http1.send(client, http1.response_event(ex.status, headers, reason))
            if replace_body is not None:
                out += http1.send(client, http1.Data(data=replace_body))
                out += http1.send(client, http1.EndOfMessage())
            if not await send_through(writer, out, resp_out):
                return
            if replace_body is not None:
                break
            continue
        out = http1.send(client, event)  # Data or EndOfMessage
        if out and not await send_through(writer, out, resp_out):
            return
        if isinstance(event, http1.EndOfMessage):
            break
    resp_in.end()
    resp_out.end()


def normalise_upstream(value: str) -> str:
    """``host:port`` of an upstream entry (``http://localhost:9090`` -> ``localhost:9090``).

    >>> normalise_upstream("http://localhost")
    'localhost:80'
    """
    text = str(value).strip()
    if "://" in text:
        u = urlsplit(text)
        return f"{u.hostname}:{u.port or (443 if u.scheme == 'https' else 80)}"
    host, port = _split_hostport(text, 80)
    return f"{host}:{port}"


class ProxyHandle:
    """A running proxy in a background thread: ``.url``, ``.stop()``, context manager."""

    def __init__(self, server: ProxyServer, host: str, port: int | None):
        self.server = server
        self.host = host
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(port or 0,), name="fault-nb-proxy",
                                        daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            self._thread.join(5)
            raise self._error
        self.url = f"http://{host}:{self.port}"

    def _run(self, port: int) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self.port = self._loop.run_until_complete(self.server.start(self.host, port))
        except BaseException as exc:  # reported to the caller's thread
            self._error = exc
            self._ready.set()
            self._loop.close()
            return
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            self._loop.run_until_complete(self.server.close())
            self._loop.close()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def set_faults(self, faults: list, *, upstreams: list[str] | None = None,
                   run_seconds: float | None = None, t0: float | None = None) -> None:
        """Replace the faults; their periods now count from ``t0`` (default: now)."""
        self.server.set_faults(faults, upstreams=upstreams, run_seconds=run_seconds, t0=t0)

    def take(self, client_port: int) -> Exchange | None:
        return self.server.take(client_port)

    @property
    def log(self) -> list[Exchange]:
        """The most recent exchanges (up to 10 000), oldest first."""
        return list(self.server.log)

    def stop(self) -> None:
        """Stop the proxy and its thread; idempotent."""
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def __enter__(self) -> "ProxyHandle":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<ProxyHandle {self.url} {state}, {len(self.server._cfg.faults)} fault(s)>"

    def _repr_html_(self) -> str:
        import html

        state = "running" if self.running else "stopped"
        target = self.server.upstream[2] if self.server.upstream else "forward proxy"
        faults = ", ".join(html.escape(f.type) for f in self.server._cfg.faults) or "no faults"
        return (f"<code>{html.escape(self.url)}</code> &rarr; <code>{html.escape(target)}</code> "
                f"({state}; {faults}; {len(self.server.log)} request(s) seen)")


def start_proxy(faults: list | None = None, *, upstream: str | None = None,
                upstreams: list[str] | None = None, host: str = "127.0.0.1", port: int | None = None,
                run_seconds: float | None = None, seed: int | None = None) -> ProxyHandle:
    """Start the proxy in a background thread and return its handle.

    With ``upstream`` it is a reverse proxy in front of that dependency (every
    request gets the faults); without it a forward proxy where only targets in
    ``upstreams`` (``host:port`` or URLs; ``None`` = all) get them.

    >>> with start_proxy([{"type": "httperror", "status_code": 503, "probability": 1.0}],
    ...                  upstream="http://127.0.0.1:9191") as p:  # doctest: +SKIP
    ...     os.environ["INVENTORY_URL"] = p.url
    """
    server = ProxyServer(faults, upstream=upstream, upstreams=upstreams, run_seconds=run_seconds, seed=seed)
    return ProxyHandle(server, host, port)
