"""The ``Results`` object: a validated ScenariosResults dict plus lazy, cached views."""
from __future__ import annotations

import copy
import os
from functools import cached_property
from pathlib import Path
from typing import Any

from .._io import atomic_write
from ._serde import dumps_results, dumps_results_yaml
from .reader import load_data, validate


def load_results(path: str | os.PathLike) -> "Results":
    """Load fault's results.json (or results.yaml) and validate it (spec A).

    Raises :class:`~fault_nb.errors.ResultsFormatError` naming the file and the
    JSON path of the first bad field. Files above 1 GiB are refused: parsing
    needs several times the file size in memory.

    >>> results = load_results("results.json")  # doctest: +SKIP
    >>> results.report()["scenario_summaries"][0]["title"]  # doctest: +SKIP
    """
    return Results(load_data(path), source=str(path))


class Results:
    """One run of scenarios: fault's ScenariosResults with pandas views.

    Construction only validates; frames are built on first access and cached.

    >>> r = Results.from_dict({"start": 0, "end": 1, "results": []})
    >>> len(r.runs)
    0
    """

    def __init__(self, data: dict, *, source: str = "<memory>"):
        self._raw = data
        self.source = source

    @classmethod
    def from_dict(cls, data: dict, source: str = "<memory>") -> "Results":
        """Validate a ScenariosResults dict (copied) and wrap it.

        >>> Results.from_dict({"start": 0, "end": 0, "results": []}).source
        '<memory>'
        """
        data = copy.deepcopy(data)
        validate(data, source)
        return cls(data, source=source)

    @property
    def raw(self) -> dict:
        """The ScenariosResults dict (lists fault omits filled as ``[]``)."""
        return self._raw

    def dumps(self) -> str:
        """The results.json text fault would write for this run."""
        return dumps_results(self._raw)

    def to_json(self, path: str | os.PathLike) -> Path:
        """Write results.json atomically, byte-compatible with fault.

        >>> results.to_json("copy.json")  # doctest: +SKIP
        """
        return atomic_write(path, dumps_results(self._raw))

    def to_yaml(self, path: str | os.PathLike) -> Path:
        """Write results.yaml atomically in serde_yaml's form.

        >>> results.to_yaml("copy.yaml")  # doctest: +SKIP
        """
        return atomic_write(path, dumps_results_yaml(self._raw))

    def __repr__(self) -> str:
        res = self._raw.get("results", [])
        n_items = sum(len(sr["results"]) for sr in res)
        n_rows = sum(len(ir["results"]) for sr in res for ir in sr["results"])
        return f"<Results {self.source}: {len(res)} scenarios, {n_items} items, {n_rows} requests>"
