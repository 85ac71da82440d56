"""The ``Results`` object: a validated ScenariosResults dict plus lazy, cached views."""
from __future__ import annotations

import copy
import os
from functools import cached_property
from pathlib import Path
from typing import Any

from .._io import atomic_write
from ._serde import dumps_results
from ._yaml import dumps_results_yaml
from .reader import load_data, validate
from .report import _NOW, _end_time


def load_results(path: str | os.PathLike) -> "Results":
    """Load fault's results.json (or results.yaml) and validate it (spec A).

    Raises :class:`~fault_nb.errors.ResultsFormatError` naming the file and the
    JSON path of the first bad field. Files above 1 GiB are refused: parsing
    needs several times the file size in memory.

    >>> results = load_results("results.json")  # doctest: +SKIP
    >>> results.report()["scenario_summaries"][0]["title"]  # doctest: +SKIP
    """
    return Results(load_data(path), source=str(path), extras=_read_extras(path))


def extras_path(path: str | os.PathLike) -> Path:
    """Where fault_nb keeps what results.json has no field for: ``results.fault-nb.json``.

    fault's schema forbids unknown keys, so our own measurements (the open-loop
    load rate) live in this sidecar file next to the results file.

    >>> extras_path("out/results.json")
    PosixPath('out/results.fault-nb.json')
    """
    path = Path(path)
    return path.with_name(path.stem + ".fault-nb.json")


def _read_extras(path: str | os.PathLike) -> dict:
    import json
    import warnings

    side = extras_path(path)
    if not side.is_file():
        return {}
    try:
        data = json.loads(side.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not isinstance(data.get("load", []), list):
            raise ValueError("expected an object with a 'load' list")
        return data
    except (OSError, ValueError) as exc:  # the sidecar is optional: never lose the results for it
        warnings.warn(f"{side}: ignored ({exc})", stacklevel=3)
        return {}


class Results:
    """One run of scenarios: fault's ScenariosResults with pandas views.

    Build it with :func:`load_results` or :meth:`from_dict` (both validate; the
    constructor trusts its dict). Frames are built on first access and cached.

    >>> r = Results.from_dict({"start": 0, "end": 1, "results": []})
    >>> len(r.runs)
    0
    """

    def __init__(self, data: dict, *, source: str = "<memory>", extras: dict | None = None):
        self._raw = data
        self.source = source
        # fault_nb's own per-run data that results.json has no field for (see extras_path)
        self.extras: dict = extras or {}

    @classmethod
    def from_dict(cls, data: dict, source: str = "<memory>", *, extras: dict | None = None) -> "Results":
        """Validate a ScenariosResults dict (copied) and wrap it.

        >>> Results.from_dict({"start": 0, "end": 0, "results": []}).source
        '<memory>'
        """
        data = copy.deepcopy(data)
        validate(data, source)
        return cls(data, source=source, extras=extras)

    @property
    def raw(self) -> dict:
        """The ScenariosResults dict (lists fault omits filled as ``[]``)."""
        return self._raw

    # ------------------------------------------------------------------ frames
    @cached_property
    def runs(self):
        """One row per request (spec J), columns ``frames.RUNS_COLUMNS``.

        >>> results.runs.groupby("operation_id").total_time_ms.median()  # doctest: +SKIP
        """
        from .frames import build_runs

        return build_runs(self._raw)

    @cached_property
    def items(self):
        """One row per scenario item: requests_count, failure_counts, percentiles, final_status ..."""
        from .frames import build_items

        return build_items(self._raw)

    @cached_property
    def scenarios(self):
        """One row per scenario: item_count, totals and fault's total_duration_ms."""
        from .frames import build_scenarios

        return build_scenarios(self._raw, self._report_numbers)

    @cached_property
    def slo(self):
        """One row per SLO row of the report, with the measured value and the margin."""
        from .frames import build_slo

        return build_slo(self._raw)

    @cached_property
    def endpoints(self):
        """Unique endpoints in report order: operation_id, method, url, has_operation_id, label, raw_operation_id.

        fault's ``none`` (no operationId) gets the derived id ``<method>_<path>``, flagged
        ``has_operation_id=False``; ``raw_operation_id`` keeps what the file says.

        >>> results.endpoints.label.tolist()  # doctest: +SKIP
        ['index__get [GET http://localhost:9090/]', ...]
        """
        from .frames import build_endpoints

        return build_endpoints(self._raw)

    @property
    def load_stats(self):
        """Open-loop load measurements of our own runs: one row per load item.

        Columns: scenario_idx, item_idx, requested_rps, achieved_rps, sent,
        completed, send-lag percentiles ... Empty for files fault wrote.

        >>> results.load_stats[["requested_rps", "achieved_rps"]]  # doctest: +SKIP
        """
        import pandas as pd

        return pd.DataFrame(self.extras.get("load", []))

    @property
    def operation_ids(self) -> list[str]:
        """operationIds in report order (the endpoints fault's code review offers).

        Endpoints fault labelled ``none`` are listed by their derived ids (``get_users_user_id``).
        """
        from .frames import endpoint_tuples

        out: dict[str, None] = {}
        for opid, _m, _u in endpoint_tuples(self._raw):
            if opid is not None:
                out.setdefault(opid, None)
        return list(out)

    # ------------------------------------------------------------------ report
    @cached_property
    def _report_numbers(self) -> dict:
        from .report import build_report

        return build_report(self._raw, end_time=None)

    def report(self, *, end_time: Any = _NOW) -> dict:
        """fault's Report (spec B) as a dict; ``end_time`` defaults to now, as in fault.

        >>> results.report(end_time=None)["scenario_summaries"][0]["item_count"]  # doctest: +SKIP
        3
        """
        report = copy.deepcopy(self._report_numbers)
        report["end_time"] = _end_time(end_time)
        return report

    def to_markdown(self, path: str | os.PathLike | None = None, *, end_time: Any = _NOW) -> str:
        """fault's report.md (spec F); written atomically when ``path`` is given.

        >>> text = results.to_markdown("report.md")  # doctest: +SKIP
        """
        from .markdown import render_markdown

        report = dict(self._report_numbers)
        report["end_time"] = _end_time(end_time)
        text = render_markdown(report)
        if path is not None:
            atomic_write(path, text)
        return text

    def _repr_html_(self) -> str:
        from .display import summary_html

        return summary_html(self)

    def _repr_markdown_(self) -> str:
        from .display import summary_markdown

        return summary_markdown(self)

    # ------------------------------------------------------------------ writing
    def dumps(self) -> str:
        """The results.json text fault would write for this run."""
        return dumps_results(self._raw)

    def to_json(self, path: str | os.PathLike) -> Path:
        """Write results.json atomically, byte-compatible with fault.

        >>> results.to_json("copy.json")  # doctest: +SKIP
        """
        out = atomic_write(path, dumps_results(self._raw))
        self._write_extras(path)
        return out

    def to_yaml(self, path: str | os.PathLike) -> Path:
        """Write results.yaml atomically in serde_yaml's form.

        >>> results.to_yaml("copy.yaml")  # doctest: +SKIP
        """
        out = atomic_write(path, dumps_results_yaml(self._raw))
        self._write_extras(path)
        return out

    def _write_extras(self, path: str | os.PathLike) -> None:
        import json

        if self.extras:
            atomic_write(extras_path(path), json.dumps(self.extras, indent=2, sort_keys=True))

    def __repr__(self) -> str:
        res = self._raw.get("results", [])
        n_items = sum(len(sr["results"]) for sr in res)
        n_rows = sum(len(ir["results"]) for sr in res for ir in sr["results"])
        return f"<Results {self.source}: {len(res)} scenarios, {n_items} items, {n_rows} requests>"
