"""The fault catalogue: fault types, scenario kinds, their labels and default values.

One home for what every part says about faults: the generator builds fault's
eight scenarios from :data:`SCENARIO_KINDS`, the CLI offers :data:`KINDS` as
``--kind`` choices, fault's report names a type with :data:`REPORT_NAMES`, and the
scenario review takes each type's mitigation from :data:`FAULT_CATALOGUE`.

Pure data with no imports from the rest of fault_nb, so the light CLI parser and
the results package can read it without loading anything else.

>>> KINDS[:3]
('latency', 'stair-step', 'pulses')
>>> FAULT_CATALOGUE["packetloss"].kind, FAULT_CATALOGUE["packetloss"].category
('packet-loss', 'retry')
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["FaultType", "ScenarioKind", "FAULT_CATALOGUE", "FAULT_TYPES", "REPORT_NAMES", "SCENARIO_KINDS",
           "KINDS", "KIND_OF_TYPE", "DEFAULT_SLO"]


@dataclass(frozen=True)
class FaultType:
    """One fault type as results.json spells it (``type``), and what we say about it.

    ``kind`` is the name fault's report and ``--kind`` use (``packet-loss``);
    ``mitigation`` and ``category`` feed the scenario review.
    """

    type: str
    kind: str
    mitigation: str
    category: str


#: fault's seven fault types (spec A.4), in fault's order
FAULT_CATALOGUE: dict[str, FaultType] = {f.type: f for f in (
    FaultType("latency", "latency", "timeouts and latency budgets on every outbound call", "timeout"),
    FaultType("packetloss", "packet-loss", "timeouts plus bounded retries with backoff for idempotent calls", "retry"),
    FaultType("bandwidth", "bandwidth", "smaller payloads (pagination, compression) and read timeouts", "timeout"),
    FaultType("jitter", "jitter", "timeouts sized from p99, not the mean", "timeout"),
    FaultType("dns", "dns", "connection reuse (pooling) and a resolver timeout", "pooling"),
    FaultType("httperror", "http-error", "retries with backoff for idempotent calls and a circuit breaker", "retry"),
    FaultType("blackhole", "blackhole", "short connect timeouts and a circuit breaker", "circuit-breaker"),
)}

FAULT_TYPES: tuple[str, ...] = tuple(FAULT_CATALOGUE)

#: fault type -> the name fault's report.md writes in its faults table
REPORT_NAMES: dict[str, str] = {t: f.kind for t, f in FAULT_CATALOGUE.items()}


@dataclass(frozen=True)
class ScenarioKind:
    """One of fault's eight generated scenarios (spec E.3), with fault's wording and values."""

    kind: str
    title: str
    description: str
    faults: tuple[dict, ...]
    strategy: dict | None
    slo: tuple[dict, ...] | None
    expect: dict | None
    call_extras: dict

    @property
    def fault_type(self) -> str:
        return self.faults[0]["type"]


#: the SLOs fault attaches to its load scenarios
DEFAULT_SLO: tuple[dict, ...] = (
    {"slo_type": "latency", "title": "P95 < 300ms", "objective": 95.0, "threshold": 300.0},
    {"slo_type": "error", "title": "P99 < 1% errors", "objective": 99.0, "threshold": 1.0},
)


def _kind(kind: str, title: str, description: str, faults: list[dict], strategy: dict | None,
          slo: tuple | None, expect: dict | None, call_extras: dict[str, Any]) -> ScenarioKind:
    return ScenarioKind(kind, title, description, tuple(faults), strategy, slo, expect, call_extras)


#: fault's eight scenarios per operation, in fault's order (spec E.3). Callers deep-copy the dicts.
SCENARIO_KINDS: tuple[ScenarioKind, ...] = (
    _kind("latency", "Single high-latency spike (client ingress)",
          "A single 800ms spike simulates jitter buffer underrun / GC pause on client network stack.",
          [{"type": "latency", "side": "client", "mean": 800.0, "stddev": 100.0, "direction": "ingress"}],
          None, None, {"status": 200}, {}),
    _kind("stair-step", "Stair-step latency growth (5 x 100 ms)",
          "Latency increases 100 ms per call; emulate slow congestion build-up or head-of-line blocking.",
          [{"type": "latency", "side": "client", "mean": 100.0, "stddev": 30.0, "direction": "ingress"}],
          {"mode": "repeat", "step": 100.0, "count": 5, "add_baseline_call": True}, None, {"status": 200}, {}),
    _kind("pulses", "Periodic 150-250 ms latency pulses during load",
          "Three latency bursts at 10-40-70% of a 10s window; good for P95 drift tracking.",
          [{"type": "latency", "mean": 150.0, "period": "start:10%,duration:15%"},
           {"type": "latency", "mean": 250.0, "period": "start:40%,duration:15%"},
           {"type": "latency", "mean": 150.0, "period": "start:70%,duration:15%"}],
          {"mode": "load", "duration": "10s", "clients": 3, "rps": 2}, DEFAULT_SLO, {"all_slo_are_valid": True}, {}),
    _kind("packet-loss", "5% packet loss for 4s", "Simulates flaky Wi-Fi or cellular interference.",
          [{"type": "packetloss", "direction": "egress", "period": "start:30%,duration:40%"}],
          None, None, {"status": 200, "response_time_under": 100.0}, {"timeout": 500}),
    _kind("jitter", "High jitter (±80ms @ 8Hz)", "Emulates bursty uplink, measuring buffering robustness.",
          [{"type": "jitter", "amplitude": 80.0, "frequency": 8.0, "direction": "ingress", "side": "server"}],
          None, None, {"status": 200}, {}),
    _kind("bandwidth", "512 KBps bandwidth cap", "Models throttled 3G link; validates handling of large payloads.",
          [{"type": "bandwidth", "rate": 512, "unit": "KBps", "direction": "ingress"}],
          {"mode": "load", "duration": "15s", "clients": 2, "rps": 1}, DEFAULT_SLO, {"status": 200}, {}),
    _kind("http-error", "Random 500 errors (5% of calls)",
          "Backend flakiness under load; ensures retry / circuit-breaker logic.",
          [{"type": "httperror", "status_code": 500, "probability": 0.05}],
          {"mode": "load", "duration": "8s", "clients": 5, "rps": 4}, DEFAULT_SLO, {"response_time_under": 100.0}, {}),
    _kind("blackhole", "Full black-hole for 1s",
          "Simulates router drop / Pod eviction causing 100% packet loss for a second.",
          [{"type": "blackhole", "direction": "egress", "period": "start:45%,duration:10%"}],
          {"mode": "load", "duration": "10s", "clients": 2, "rps": 3}, DEFAULT_SLO, None, {"timeout": 500}),
)

#: the ``--kind`` / ``kinds=`` names, in fault's order
KINDS: tuple[str, ...] = tuple(k.kind for k in SCENARIO_KINDS)

#: fault type -> the scenario kind that exercises it (``None``: the generator has none, e.g. dns)
KIND_OF_TYPE: dict[str, str | None] = {t: (f.kind if f.kind in KINDS else None) for t, f in FAULT_CATALOGUE.items()}
