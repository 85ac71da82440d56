"""Scenarios: fault's scenario YAML as plain dicts, OpenAPI → scenarios, and running them.

>>> from fault_nb.scenarios import load_scenarios, dumps_scenarios_yaml
>>> scenarios = load_scenarios("scenario.yaml")         # doctest: +SKIP
>>> print(dumps_scenarios_yaml(scenarios))              # doctest: +SKIP

Each scenario is a dict in the JSON shape results.json embeds (spec A.4).
Names are imported on first use, so building the CLI parser (which imports
``fault_nb.scenarios.cli``) does not load YAML, the generator or the runner.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._lazy import lazy_exports

# public name -> submodule that defines it
_LAZY: dict[str, str] = {
    "load_scenarios": ".model",
    "validate_scenario": ".model",
    "ScenarioList": ".model",
    "ScenarioWarning": ".model",
    "dumps_scenarios_yaml": ".yamlout",
    "write_scenarios": ".yamlout",
    "fault_shape": ".yamlout",
    "generate_scenarios": ".generate",
}

__all__ = sorted([*_LAZY, "run_scenarios"])


def run_scenarios(path_or_scenarios: Any, **kwargs: Any):
    """Run scenarios through the fault-injecting proxy and return :class:`~fault_nb.results.Results`.

    See :func:`fault_nb.scenarios.runner.run_scenarios` for the options.

    >>> results = run_scenarios("scenario.yaml", result="results.json")  # doctest: +SKIP
    """
    from .runner import run_scenarios as _run

    return _run(path_or_scenarios, **kwargs)


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)


if TYPE_CHECKING:  # pragma: no cover
    from .generate import generate_scenarios
    from .model import ScenarioList, ScenarioWarning, load_scenarios, validate_scenario
    from .yamlout import dumps_scenarios_yaml, fault_shape, write_scenarios
