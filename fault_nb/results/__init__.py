"""results.json / results.yaml as DataFrames, fault's Report numbers and report.md.

>>> from fault_nb.results import load_results
>>> results = load_results("results.json")  # doctest: +SKIP
>>> results.runs.groupby("operation_id").total_time_ms.describe()  # doctest: +SKIP
"""
from __future__ import annotations

from ._serde import dumps_results
from ._yaml import dumps_results_yaml
from .model import Results, load_results

__all__ = ["Results", "dumps_results", "dumps_results_yaml", "load_results"]
