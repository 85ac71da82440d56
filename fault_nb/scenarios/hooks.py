"""How the proxy applies faults to the bytes it moves: stages, exchanges, pumps.

A :class:`Stage` is the list of faults acting on one hook (the proxy's reads
from one side, or its writes to the other); every I/O operation goes through
:meth:`Stage.op`, which sleeps, stalls, paces or drops it and records the
fault events of spec A.3 on the :class:`Exchange` (one client connection).

>>> ex = Exchange(url="http://127.0.0.1:9090/")
>>> ex.metrics_faults()
[{'url': 'http://127.0.0.1:9090/', 'applied': None}]
"""
from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from typing import Callable

from .faults import Bandwidth, Blackhole, Fault, Jitter, Latency, PacketLoss

CHUNK = 64 * 1024


@dataclass
class Exchange:
    """What the proxy did to one client connection (one request)."""

    url: str
    applied: list[dict] = field(default_factory=list)
    dns: list[dict] = field(default_factory=list)
    passthrough: bool = False
    jitter_ms: float = 0.0
    status: int | None = None
    start: float = field(default_factory=time.monotonic)
    done: bool = False  # the proxy has finished with this connection (all events recorded)

    def metrics_faults(self) -> list[dict]:
        """``metrics.faults`` as fault writes it (spec A.3)."""
        return [{"url": self.url, "applied": [{"event": e} for e in self.applied] or None}]


class Stage:
    """The faults acting on one hook (reads or writes of one side)."""

    def __init__(self, faults: list[Fault], label: str, ex: Exchange, rng: random.Random,
                 t0: float, alive: Callable[[], bool]):
        self.faults, self.label, self.ex, self.rng, self.t0, self.alive = faults, label, ex, rng, t0, alive
        self._latency_done: set[int] = set()
        self._blackholed: set[int] = set()
        # one stream per fault (named by its slot), so a fault's draws do not shift with the others'
        base = rng.getrandbits(64)
        self._rngs = {id(f): random.Random(f"{base}:{f.slot}") for f in faults}
        self._chains = {id(f): f.chain(self._rngs[id(f)]) for f in faults if isinstance(f, PacketLoss)}
        self._pace: dict[int, float | None] = {id(f): None for f in faults if isinstance(f, Bandwidth)}
        rates = [f.bytes_per_second for f in faults if isinstance(f, Bandwidth)]
        # small pieces under a bandwidth cap keep the flow smooth (about 20 per second)
        self.piece = min(CHUNK, max(256, min(rates) // 20)) if rates else CHUNK

    def _event(self, f: Fault, **extra) -> None:
        e = {"type": extra.pop("type", f.type)}
        if e["type"] == "packetloss":
            e["state"] = extra.pop("state")
        if e["type"] == "blackhole":
            e.update(side=f.side, direction=self.label)
        else:
            e.update(direction=self.label, side=f.side)
        e.update(extra)
        self.ex.applied.append(e)

    async def op(self, nbytes: int) -> bool:
        """Apply the faults to one operation of ``nbytes``; False means drop (truncate)."""
        for f in self.faults:
            if isinstance(f, Latency):
                if f.per_op or id(f) not in self._latency_done:
                    self._latency_done.add(id(f))
                    delay = f.sample_ms(self._rngs[id(f)])
                    self._event(f, delay=delay)
                    await asyncio.sleep(delay / 1000.0)
            elif isinstance(f, Jitter):
                delay = f.sample_ms(self._rngs[id(f)])
                if delay:
                    self.ex.jitter_ms += delay
                    await asyncio.sleep(delay / 1000.0)
            elif isinstance(f, Blackhole):
                if id(f) not in self._blackholed:
                    self._blackholed.add(id(f))
                    self._event(f)
                # stall until the window closes (exactly) or the client gives up (within 50 ms)
                while f.active(elapsed := time.monotonic() - self.t0):
                    if not self.alive():
                        return False
                    end = f.window[1] if f.window is not None else None
                    await asyncio.sleep(0.05 if end is None else min(0.05, max(end - elapsed, 0.0005)))
            elif isinstance(f, PacketLoss):
                chain = self._chains[id(f)]
                if chain.drop():
                    self._event(f, state=chain.state_name)
                    return False
            elif isinstance(f, Bandwidth):
                now = time.monotonic()
                # a token bucket that starts empty and may bank 100 ms of late wake-ups, so a busy
                # machine does not stretch the transfer beyond bytes / rate
                pace = self._pace[id(f)]
                due = (now if pace is None else max(pace, now - 0.1)) + nbytes / f.bytes_per_second
                self._pace[id(f)] = due
                self._event(f, bps=nbytes)
                if due > now:
                    await asyncio.sleep(due - now)
        return True

    def end(self) -> None:
        for f in self.faults:
            if isinstance(f, Bandwidth):
                self._event(f, bps=0)


async def send_through(writer: asyncio.StreamWriter, data: bytes, stage: Stage) -> bool:
    for i in range(0, len(data), stage.piece):
        piece = data[i:i + stage.piece]
        if not await stage.op(len(piece)):
            return False
        writer.write(piece)
        await writer.drain()
    return True


async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter, read: Stage, write: Stage) -> None:
    try:
        while True:
            data = await src.read(read.piece)
            if not data:
                break
            if not (await read.op(len(data)) and await send_through(dst, data, write)):
                break
        read.end()
        write.end()
    except (ConnectionError, OSError):
        pass
    finally:
        dst.close()
