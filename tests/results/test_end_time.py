"""A report rebuilt from a results file ends when that run ended, not when it is rebuilt."""
from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timezone

from fault_nb.results import Results, load_results
from fault_nb.results.report import file_end_time


def _file_end(results) -> datetime:
    return datetime.fromtimestamp(results.raw["end"], tz=timezone.utc)


def _end_line(md: str) -> datetime:
    line = next(l for l in md.splitlines() if l.startswith("End: "))
    return datetime.strptime(line[5:24], "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)


def _is_now(md: str, before: datetime) -> bool:
    return before.replace(microsecond=0) <= _end_line(md) <= datetime.now(timezone.utc)


def test_fixture_report_ends_at_the_files_end(fixtures_dir):
    results = load_results(fixtures_dir / "results" / "seed_app.results.json")
    end = _file_end(results)
    assert end.year == 2025  # the run's own day, not today's
    md = results.to_markdown()
    assert f"End: {end:%Y-%m-%d %H:%M:%S} UTC" in md
    assert results.report()["end_time"] == f"{end:%Y-%m-%dT%H:%M:%S}Z"
    # explicit values still win: now, a timestamp, or None for no End line
    before = datetime.now(timezone.utc)
    assert _is_now(results.to_markdown(end_time="now"), before)
    assert "End: 2030-01-02 03:04:05 UTC" in results.to_markdown(end_time="2030-01-02T03:04:05Z")
    assert "End:" not in results.to_markdown(end_time=None)


def test_files_without_a_usable_end_have_no_end_line():
    assert file_end_time({"start": 5, "end": 0}) is None
    assert file_end_time({"start": 10, "end": 5}) is None  # before its start: not an end
    assert "End:" not in Results.from_dict({"start": 0, "end": 0, "results": []}).to_markdown()


def test_cli_summary_uses_the_files_end(fixtures_dir, tmp_path):
    path = fixtures_dir / "results" / "seed_app.results.json"
    end = _file_end(load_results(path))
    proc = subprocess.run([sys.executable, "-m", "fault_nb.results.cli", "summary", "--results", str(path)],
                          capture_output=True, text=True, encoding="utf-8", timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert f"End: {end:%Y-%m-%d %H:%M:%S} UTC" in proc.stdout
    before = datetime.now(timezone.utc)
    proc = subprocess.run([sys.executable, "-m", "fault_nb.results.cli", "summary", "--results", str(path),
                           "--end-time", "now"], capture_output=True, text=True, encoding="utf-8", timeout=120,
                          cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert _is_now(proc.stdout, before)
