"""Fault implementations used by the proxy: what each fault does to one message.

A scenario fault is a plain dict in spec A.4/C.5 shape (``{"type": "latency",
"mean": 300.0, ...}``). :func:`build_faults` turns a list of them into
:class:`Fault` objects that know their own schedule window and how to act on
one I/O operation (a read from, or a write to, one side of the proxy).

Where an operation happens (forward/reverse HTTP mode):

* ``side: client`` acts on the request path (client -> upstream),
  ``side: server`` (default) on the response path (upstream -> client).
* ``direction`` picks the hook on that path: ``ingress`` = when the proxy
  reads the data (from the client on the request path, from the upstream on
  the response path), ``egress`` = when it writes it on, ``both`` = both
  hooks (so a ``both`` latency is paid twice). fault itself ignores
  ``direction`` in forward mode; ours is the tunnel meaning applied to HTTP.
* In a CONNECT tunnel ``side`` picks the TCP stream and ``direction`` reads
  (ingress) or writes (egress) on it, exactly as fault does.

Unlike fault, jitter and blackhole act on plain HTTP too.

>>> faults = build_faults([{"type": "latency", "mean": 300.0, "stddev": 0.0}])
>>> faults[0].sample_ms(random.Random(1))
300.0
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

from ..errors import ScenarioFormatError
from .period import parse_period as _parse_period

# fault's fixed 5-state packet-loss chain (fault-cli/src/fault/packet_loss.rs):
# on every operation the state moves first, then the new state's loss
# probability decides the drop; every stream starts in "good".
PACKETLOSS_STATES = ("excellent", "good", "fair", "poor", "bad")
PACKETLOSS_TRANSITIONS = (
    (0.9, 0.1, 0.0, 0.0, 0.0),
    (0.05, 0.9, 0.05, 0.0, 0.0),
    (0.0, 0.1, 0.8, 0.1, 0.0),
    (0.0, 0.0, 0.2, 0.7, 0.1),
    (0.0, 0.0, 0.0, 0.3, 0.7),
)
PACKETLOSS_LOSS = (0.0, 0.1, 0.3, 0.6, 0.9)

_UNITS = {"Bps": 1, "KBps": 1_000, "MBps": 1_000_000, "GBps": 1_000_000_000}


def parse_period(text: Any, run_seconds: float | None) -> tuple[float, float | None] | None:
    """``(start_s, end_s | None)`` of a period string, relative to the item start.

    Parsing is :mod:`fault_nb.scenarios.period`'s. Percentages are of the load
    ``duration`` (``run_seconds``); single and repeat items have no duration,
    so there a percentage start counts as 0 and a percentage duration as "until
    the end". Invalid text gives ``None`` (always on), as in fault.

    >>> parse_period("start:10%,duration:50%", 2.0)
    (0.2, 1.2)
    """
    p = _parse_period(text)
    if p is None:
        return None
    if run_seconds is not None:
        return p.window(run_seconds)
    start = p.start.seconds() if p.start is not None and not p.start.is_fraction else 0.0
    if p.duration is None or p.duration.is_fraction:
        return (start, None)
    return (start, start + p.duration.seconds())


def _direction(value: Any) -> str:
    d = str(value if value is not None else "ingress").lower()
    if d not in ("ingress", "egress", "both"):
        raise ValueError(f"direction must be ingress, egress or both, got {value!r}")
    return d


@dataclass
class Fault:
    """One configured fault: its settings, hooks and schedule window."""

    config: dict
    type: str
    side: str = "server"
    direction: str = "ingress"
    window: tuple[float, float | None] | None = None
    slot: int = 0  # position in the item's fault list: names this fault's random stream

    def active(self, elapsed: float) -> bool:
        """Is the fault in force ``elapsed`` seconds after the item started?"""
        if self.window is None:
            return True
        start, end = self.window
        return elapsed >= start and (end is None or elapsed < end)

    def hooks(self) -> tuple[bool, bool]:
        """(acts on reads, acts on writes)."""
        return self.direction in ("ingress", "both"), self.direction in ("egress", "both")


@dataclass
class Latency(Fault):
    distribution: str = "normal"
    per_op: bool = False
    mean: float = 100.0
    stddev: float = 20.0
    min: float = 20.0
    max: float = 20.0
    shape: float = 20.0
    scale: float = 20.0

    def sample_ms(self, rng: random.Random) -> float:
        """One delay in ms drawn from the configured distribution."""
        if self.distribution == "uniform":
            return rng.uniform(self.min, self.max)
        if self.distribution == "pareto":
            return self._pareto(rng)
        if self.distribution == "pareto-normal":
            return self._pareto(rng) + self._normal(rng)
        return self._normal(rng)

    def _normal(self, rng: random.Random) -> float:
        if self.stddev <= 0:
            return max(self.mean, 0.0)
        for _ in range(1000):  # fault redraws negative samples
            x = rng.gauss(self.mean, self.stddev)
            if x >= 0:
                return x
        return 0.0

    def _pareto(self, rng: random.Random) -> float:
        # Pareto(scale, shape): scale * U^(-1/shape), support [scale, inf)
        u = 1.0 - rng.random()
        return self.scale * u ** (-1.0 / self.shape) if self.shape > 0 else self.scale


@dataclass
class Jitter(Fault):
    amplitude: float = 20.0
    frequency: float = 5.0

    def sample_ms(self, rng: random.Random) -> float:
        """0 or a whole number of ms in [0, amplitude] (fault's rule)."""
        if rng.random() >= self.frequency:
            return 0.0
        return float(rng.randint(0, max(0, int(self.amplitude))))


@dataclass
class Bandwidth(Fault):
    bytes_per_second: int = 1000


@dataclass
class PacketLoss(Fault):
    def chain(self, rng: random.Random) -> "LossChain":
        return LossChain(rng)


@dataclass
class Blackhole(Fault):
    pass


@dataclass
class HttpError(Fault):
    status_code: int = 500
    body: str | None = None
    probability: float = 1.0


@dataclass
class Dns(Fault):
    rate: float = 0.5


@dataclass
class LossChain:
    """fault's Markov chain state for one stream (starts in ``good``)."""

    rng: random.Random
    state: int = 1
    drops: int = field(default=0)

    def drop(self) -> bool:
        row = PACKETLOSS_TRANSITIONS[self.state]
        r, acc = self.rng.random(), 0.0
        for i, p in enumerate(row):
            acc += p
            if r < acc:
                self.state = i
                break
        lost = self.rng.random() < PACKETLOSS_LOSS[self.state]
        self.drops += lost
        return lost

    @property
    def state_name(self) -> str:
        return PACKETLOSS_STATES[self.state]


def _num(cfg: dict, key: str, default: float) -> float:
    value = cfg.get(key)
    return default if value is None else float(value)


def build_fault(cfg: dict, run_seconds: float | None = None, *, where: Any = ()) -> Fault:
    """A :class:`Fault` from one fault dict (spec C.5); bad values raise ScenarioFormatError."""
    try:
        return _build(cfg, run_seconds)
    except (TypeError, ValueError, KeyError) as exc:
        raise ScenarioFormatError("<scenario>", where, f"invalid fault: {exc}",
                                  expected="a fault as in spec C.5") from None


def _build(cfg: dict, run_seconds: float | None) -> Fault:
    if not isinstance(cfg, dict) or "type" not in cfg:
        raise ValueError("a fault must be a mapping with a 'type'")
    kind = str(cfg["type"])
    common = dict(config=cfg, type=kind, window=parse_period(cfg.get("period"), run_seconds))
    net = dict(common, side=str(cfg.get("side") or "server"), direction=_direction(cfg.get("direction")))
    if net["side"] not in ("client", "server"):
        raise ValueError(f"side must be client or server, got {cfg.get('side')!r}")
    if kind == "latency":
        dist = str(cfg.get("distribution") or "normal").lower()
        if dist not in ("normal", "uniform", "pareto", "pareto-normal"):
            raise ValueError(f"unknown latency distribution {cfg.get('distribution')!r}")
        f = Latency(**net, distribution=dist, per_op=cfg.get("global") is False,
                    mean=_num(cfg, "mean", 100.0), stddev=_num(cfg, "stddev", 20.0),
                    min=_num(cfg, "min", 20.0), max=_num(cfg, "max", 20.0),
                    shape=_num(cfg, "shape", 20.0), scale=_num(cfg, "scale", 20.0))
        if dist == "uniform" and not f.min < f.max:
            raise ValueError("a uniform latency needs min < max")
        return f
    if kind == "jitter":
        return Jitter(**net, amplitude=float(cfg["amplitude"]), frequency=float(cfg["frequency"]))
    if kind == "bandwidth":
        unit = cfg.get("unit")
        if unit not in _UNITS:
            raise ValueError(f"bandwidth unit must be one of {', '.join(_UNITS)}, got {unit!r}")
        rate = int(cfg["rate"]) * _UNITS[unit]
        if rate <= 0:
            raise ValueError("bandwidth rate must be positive")
        return Bandwidth(**net, bytes_per_second=rate)
    if kind == "packetloss":
        return PacketLoss(**net)
    if kind == "blackhole":
        return Blackhole(**net)
    if kind == "httperror":
        p = float(cfg["probability"])
        return HttpError(**common, status_code=int(cfg["status_code"]), body=cfg.get("body"),
                         probability=p)
    if kind == "dns":
        rate = float(cfg["rate"])
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"dns rate must be within 0.0-1.0, got {rate}")
        return Dns(**common, rate=rate)
    raise ValueError(f"unknown fault type {kind!r}")


def build_faults(configs: list[dict] | None, run_seconds: float | None = None) -> list[Fault]:
    """Build every fault of an item; ``run_seconds`` resolves ``%`` periods (load duration).

    >>> [f.type for f in build_faults([{"type": "dns", "rate": 1.0}])]
    ['dns']
    """
    built = [build_fault(c, run_seconds, where=["faults", i]) for i, c in enumerate(configs or [])]
    for i, f in enumerate(built):
        f.slot = i
    return built


class Draws:
    """The random streams of one request: each decision site draws from its own stream.

    With a ``seed``, a stream depends only on ``(seed, token, site)``, where the
    token names the request (the runner sends ``scenario:item:index``), so two
    runs with one seed face the same latency draws, jitter, losses, http-error
    coins and DNS failures request by request (common random numbers), whatever
    order the requests arrive in and however many bytes the app sends. Without
    a seed every stream is freshly seeded from the OS.

    >>> Draws(7, "0:1:5").stream("http-error", 0).random() == Draws(7, "0:1:5").stream("http-error", 0).random()
    True
    """

    def __init__(self, seed: int | None, token: str):
        self.key = None if seed is None else f"fault-nb/1:{seed}:{token}"

    def stream(self, *site: Any) -> random.Random:
        if self.key is None:
            return random.Random()
        # str seeds go through SHA-512: stable across processes and Python versions (not hash())
        return random.Random(":".join([self.key, *(str(x) for x in site)]))


def packetloss_survival(ops: int) -> float:
    """Probability that ``ops`` consecutive operations of a fresh chain drop nothing.

    >>> round(packetloss_survival(1), 3)
    0.895
    """
    dist = [0.0, 1.0, 0.0, 0.0, 0.0]  # P(state, nothing dropped yet)
    for _ in range(ops):
        nxt = [0.0] * 5
        for i, p in enumerate(dist):
            for j, t in enumerate(PACKETLOSS_TRANSITIONS[i]):
                nxt[j] += p * t
        dist = [p * (1.0 - PACKETLOSS_LOSS[j]) for j, p in enumerate(nxt)]
    return math.fsum(dist)
