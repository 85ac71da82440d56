"""Mutated results never crash: either a ResultsFormatError or every view works."""
from __future__ import annotations

import copy
import json
import random

import pytest

from fault_nb.errors import ResultsFormatError
from fault_nb.results import Results

VALUES = [None, True, False, 0, -1, 1.5, float("nan"), "", "x", [], {}, [1], {"a": 1}, 2**40, -(2**40),
          "failure", "latency", "error", "load", "repeat", {"mode": "load"}, {"type": "http"}]


def _paths(o, p=()):
    yield p
    if isinstance(o, dict):
        for k, v in o.items():
            yield from _paths(v, p + (k,))
    elif isinstance(o, list):
        for i, v in enumerate(o):
            yield from _paths(v, p + (i,))


def _mutate(data, rng):
    paths = list(_paths(data))[1:]
    for _ in range(rng.randint(1, 3)):
        path = rng.choice(paths)
        target = data
        try:
            for key in path[:-1]:
                target = target[key]
            roll = rng.random()
            if roll < 0.6:
                target[path[-1]] = copy.deepcopy(rng.choice(VALUES))
            elif isinstance(target, dict):
                del target[path[-1]]
            elif isinstance(target, list) and target:
                target.pop(path[-1])
        except (KeyError, IndexError, TypeError):
            pass  # an earlier mutation removed the parent


@pytest.mark.parametrize("seed", range(4))
def test_mutations_never_crash(fixtures_dir, seed):
    bases = [json.loads((fixtures_dir / "results" / f"{n}.results.json").read_text(encoding="utf-8"))
             for n in ("seed_app", "edge_cases")]
    rng = random.Random(seed)
    loaded = rejected = 0
    for _ in range(60):
        data = copy.deepcopy(rng.choice(bases))
        _mutate(data, rng)
        try:
            results = Results.from_dict(data)
        except ResultsFormatError as exc:
            assert exc.path.startswith("$")
            rejected += 1
            continue
        loaded += 1
        results.runs, results.items, results.scenarios, results.slo, results.endpoints
        results.to_markdown(end_time=None)
        results._repr_html_()
        json.loads(results.dumps())
    assert loaded and rejected
