"""The examples in the docstrings of compare, its statistics and the seeded draws stay true."""
from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize("module", ["fault_nb.verify._stats", "fault_nb.verify._simulate", "fault_nb.verify.compare",
                                    "fault_nb.scenarios.faults"])
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
