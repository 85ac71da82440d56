"""Scenarios: fault's scenario YAML as plain dicts, OpenAPI → scenarios, and running them.

>>> from fault_nb.scenarios import load_scenarios, dumps_scenarios_yaml
>>> scenarios = load_scenarios("scenario.yaml")         # doctest: +SKIP
>>> print(dumps_scenarios_yaml(scenarios))              # doctest: +SKIP

Each scenario is a dict in the JSON shape results.json embeds (spec A.4).
The runner (and its proxy) is imported on first use.
"""
from __future__ import annotations

from typing import Any

from .generate import generate_scenarios
from .model import ScenarioList, ScenarioWarning, load_scenarios, validate_scenario
from .yamlout import dumps_scenarios_yaml, fault_shape, write_scenarios

__all__ = [
    "load_scenarios", "validate_scenario", "dumps_scenarios_yaml", "write_scenarios",
    "generate_scenarios", "run_scenarios", "ScenarioList", "ScenarioWarning", "fault_shape",
]


def run_scenarios(path_or_scenarios: Any, **kwargs: Any):
    """Run scenarios through the fault-injecting proxy and return :class:`~fault_nb.results.Results`.

    See :func:`fault_nb.scenarios.runner.run_scenarios` for the options.

    >>> results = run_scenarios("scenario.yaml", result="results.json")  # doctest: +SKIP
    """
    from .runner import run_scenarios as _run

    return _run(path_or_scenarios, **kwargs)
