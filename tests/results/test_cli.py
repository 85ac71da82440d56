"""``fault-nb results summary`` through a real subprocess."""
from __future__ import annotations

import json
import subprocess
import sys


ROOT_ARGS = [sys.executable, "-m", "fault_nb.results.cli"]


def _run(args, cwd):
    return subprocess.run(ROOT_ARGS + args, capture_output=True, text=True, encoding="utf-8", timeout=120,
                          cwd=cwd)


def test_summary_markdown(fixtures_dir, tmp_path):
    end = json.loads((fixtures_dir / "reports" / "seed_app.report.json").read_text())["end_time"]
    proc = _run(["summary", "--results", str(fixtures_dir / "results" / "seed_app.results.json"),
                 "--end-time", end], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (fixtures_dir / "reports" / "seed_app.report.md").read_text(encoding="utf-8")


def test_summary_json(fixtures_dir, tmp_path):
    proc = _run(["summary", "--format", "json", "--results",
                 str(fixtures_dir / "results" / "edge_cases.results.json")], tmp_path)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    expected = json.loads((fixtures_dir / "reports" / "edge_cases.report.json").read_text())
    assert report["end_time"].endswith("Z")
    report["end_time"] = expected["end_time"]
    assert report == expected


def test_summary_bad_file_is_one_line(tmp_path):
    bad = tmp_path / "results.json"
    bad.write_text('{"start": 1.5, "end": 2, "results": []}', encoding="utf-8")
    proc = _run(["summary", "--results", str(bad)], tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert "Traceback" not in proc.stderr
    assert str(bad) in proc.stderr and "$.start" in proc.stderr


def test_summary_default_file_missing(tmp_path):
    proc = _run(["summary"], tmp_path)
    assert proc.returncode == 2
    assert "results.json: $: file not found" in proc.stderr


def test_registered_in_the_main_parser(fixtures_dir, capsys):
    import argparse

    from fault_nb.results.cli import register

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["results", "summary", "--format", "json", "--results",
                              str(fixtures_dir / "results" / "edge_empty.results.json")])
    assert args.func(args) == 0
    assert json.loads(capsys.readouterr().out)["scenario_summaries"] == []


def test_cli_module_is_light():
    code = ("import sys, fault_nb.results.cli; "
            "print(sorted(m for m in ('pandas', 'plotly', 'yaml', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stderr


def test_fault_nb_entry_point(fixtures_dir, tmp_path):
    """The real dispatcher: `fault-nb results summary` with a friendly error."""
    proc = subprocess.run([sys.executable, "-m", "fault_nb.cli", "results", "summary", "--results",
                           str(fixtures_dir / "results" / "edge_empty.results.json"), "--format", "json"],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["start_time"] == 1750068000000000
    cut = tmp_path / "cut.json"
    cut.write_text('{"start": 1, "end": 2, "results": [', encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "fault_nb.cli", "results", "summary", "--results", str(cut)],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"fault-nb: error: {cut}: $: invalid JSON at line 1")


def test_summary_bad_end_time_is_one_line(fixtures_dir, tmp_path):
    # used to end in a ValueError traceback from the Markdown renderer
    proc = _run(["summary", "--results", str(fixtures_dir / "results" / "seed_app.results.json"),
                 "--end-time", "yesterday"], tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().count("\n") == 0 and "--end-time" in proc.stderr and "yesterday" in proc.stderr


def test_report_refuses_a_non_rfc3339_end_time(fixtures_dir):
    import pytest

    from fault_nb import load_results

    results = load_results(fixtures_dir / "results" / "edge_empty.results.json")
    with pytest.raises(ValueError, match="RFC 3339"):
        results.report(end_time="garbage")
    assert results.report(end_time="2025-06-16T09:30:28Z")["end_time"] == "2025-06-16T09:30:28Z"
