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
from .report import FILE_END, _end_time, file_end_time


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
        if "dependency_faults" in data:
            data["dependency_faults"] = [_read_record(rec, f"$.dependency_faults[{i}]") for i, rec in
                                         enumerate(_list_of(data["dependency_faults"], "$.dependency_faults"))]
        return data
    except (OSError, ValueError) as exc:  # the sidecar is optional: never lose the results for it
        warnings.warn(f"{side}: ignored ({exc})", stacklevel=3)
        return {}


def _read_record(rec: Any, where: str) -> dict:
    if not isinstance(rec, dict):
        _bad(where, "expected an object")
    for key in ("dependency", "faults"):
        if key not in rec:
            _bad(f"{where}.{key}", "missing")
    return dependency_record(rec["dependency"], rec["faults"], upstream=rec.get("upstream"),
                             scenarios=rec.get("scenarios"), operation_ids=rec.get("operation_ids"), where=where)


def _bad(where: str, problem: str):
    raise ValueError(f"{where}: {problem}")


def _list_of(value: Any, where: str) -> list:
    if not isinstance(value, (list, tuple)):
        _bad(where, f"expected a list, got {type(value).__name__}")
    return list(value)


def dependency_record(dependency: str, faults: Any, *, upstream: str | None = None, scenarios: Any = None,
                      operation_ids: Any = None, where: str = "dependency_faults") -> dict:
    """A checked ``Results.extras["dependency_faults"]`` entry (see :meth:`Results.with_dependency_faults`).

    >>> dependency_record("inventory", [{"type": "latency", "mean": 300.0}])["faults"][0]["type"]
    'latency'
    """
    if not isinstance(dependency, str) or not dependency.strip():
        _bad(f"{where}.dependency", "expected the dependency's name, e.g. 'inventory'")
    out_faults = []
    for i, f in enumerate(_list_of(faults, f"{where}.faults")):
        if not isinstance(f, dict) or not isinstance(f.get("type"), str):
            _bad(f"{where}.faults[{i}]", "expected a fault object with a 'type', e.g. {'type': 'latency', ...}")
        out_faults.append(dict(f))
    if upstream is not None and not isinstance(upstream, str):
        _bad(f"{where}.upstream", "expected a URL string")
    if scenarios is not None:
        scenarios = _list_of(scenarios, f"{where}.scenarios")
        if not all(isinstance(x, int) and not isinstance(x, bool) for x in scenarios):
            _bad(f"{where}.scenarios", "expected scenario indices (integers)")
    if operation_ids is not None:
        operation_ids = [operation_ids] if isinstance(operation_ids, str) else _list_of(
            operation_ids, f"{where}.operation_ids")
        if not all(isinstance(x, str) for x in operation_ids):
            _bad(f"{where}.operation_ids", "expected operation ids (strings)")
    return {"dependency": dependency.strip(), "faults": out_faults, "upstream": upstream,
            "scenarios": scenarios, "operation_ids": operation_ids}


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

        return build_runs(self._raw, self.extras)

    @cached_property
    def items(self):
        """One row per scenario item: requests_count, failure_counts, percentiles, final_status ..."""
        from .frames import build_items

        return build_items(self._raw, self.extras)

    @cached_property
    def scenarios(self):
        """One row per scenario: item_count, totals and fault's total_duration_ms."""
        from .frames import build_scenarios

        return build_scenarios(self._raw, self._report_numbers)

    @cached_property
    def slo(self):
        """One row per SLO row of the report, with the measured value and the margin."""
        from .frames import build_slo

        return build_slo(self._raw, self.extras)

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

    def with_dependency_faults(self, dependency: str, faults: list[dict], *, upstream: str | None = None,
                               scenarios: list[int] | None = None,
                               operation_ids: list[str] | None = None) -> "Results":
        """These results, recording that a dependency of the app was faulted during the run.

        When the faults were injected between the app under test and something it
        calls (a fault proxy in front of a dependency, as in notebook 03), the requests
        themselves carry no fault: this record is what makes their ``fault_label`` say
        ``"inventory: httperror + latency"`` instead of ``"none"``. ``faults`` are the
        fault dicts given to the proxy; ``scenarios`` (indices) and ``operation_ids``
        narrow the record (None = every item). Returns a new ``Results`` (same raw
        data, fresh frames); ``to_json``/``to_yaml`` keep the record in the sidecar
        file (:func:`extras_path`), and ``load_results`` reads it back.

        >>> faults = [{"type": "latency", "mean": 1200.0}]  # doctest: +SKIP
        >>> degraded = results.with_dependency_faults("inventory", faults)  # doctest: +SKIP
        >>> degraded.runs.fault_label.unique()  # doctest: +SKIP
        <StringArray> ['inventory: latency']
        """
        from ..errors import FaultNbError

        try:
            record = dependency_record(dependency, faults, upstream=upstream, scenarios=scenarios,
                                       operation_ids=operation_ids)
        except ValueError as exc:
            raise FaultNbError(f"with_dependency_faults: {exc}") from None
        extras = copy.deepcopy(self.extras)
        extras.setdefault("dependency_faults", []).append(record)
        return Results(self._raw, source=self.source, extras=extras)

    @property
    def dependency_faults(self) -> list[dict]:
        """The dependency-fault records of this run (see :meth:`with_dependency_faults`)."""
        return list(self.extras.get("dependency_faults") or [])

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

    def _end(self, end_time: Any) -> str | None:
        return file_end_time(self._raw) if end_time is FILE_END else _end_time(end_time)

    def report(self, *, end_time: Any = FILE_END) -> dict:
        """fault's Report (spec B) as a dict.

        ``end_time`` defaults to this file's own ``end`` (whole seconds; see
        :func:`~fault_nb.results.report.file_end_time`): fault stamps the wall clock
        when it builds the report right after the run, which is that moment; rebuilding
        the report of an old file keeps its end. Pass ``"now"``, a datetime, an RFC 3339
        string, or None (no End line).

        >>> results.report(end_time=None)["scenario_summaries"][0]["item_count"]  # doctest: +SKIP
        3
        """
        report = copy.deepcopy(self._report_numbers)
        report["end_time"] = self._end(end_time)
        return report

    def to_markdown(self, path: str | os.PathLike | None = None, *, end_time: Any = FILE_END) -> str:
        """fault's report.md (spec F); written atomically when ``path`` is given.

        ``end_time`` as in :meth:`report` (default: the file's own end).

        >>> text = results.to_markdown("report.md")  # doctest: +SKIP
        """
        from .markdown import render_markdown

        report = dict(self._report_numbers)
        report["end_time"] = self._end(end_time)
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

        side = extras_path(path)
        if self.extras:
            atomic_write(side, json.dumps(self.extras, indent=2, sort_keys=True))
        elif side.is_file():  # a sidecar of the run this file replaced would describe the wrong run
            side.unlink()

    def __repr__(self) -> str:
        res = self._raw.get("results", [])
        n_items = sum(len(sr["results"]) for sr in res)
        n_rows = sum(len(ir["results"]) for sr in res for ir in sr["results"])
        return f"<Results {self.source}: {len(res)} scenarios, {n_items} items, {n_rows} requests>"
