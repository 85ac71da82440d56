"""The examples in the docstrings stay true."""
from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize("module", [
    "fault_nb._ryu", "fault_nb._serde_yaml", "fault_nb.results._serde", "fault_nb.results._yaml", "fault_nb.results.report", "fault_nb.results.markdown",
    "fault_nb.results.frames", "fault_nb.results.model", "fault_nb.plots", "fault_nb.scenarios.http1",
])
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
