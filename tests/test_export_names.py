"""Exports never overwrite without a choice: names per endpoint, numbered names, run folders."""
from __future__ import annotations

import threading

from fault_nb.errors import ExportError
from fault_nb.export import claim_path, report_name, run_folder, save_report


def test_names_per_endpoint_and_for_the_whole_report():
    assert report_name() == "code-review-report.md"
    assert report_name("create_user_users__post") == "code-review-create_user_users__post.md"
    assert report_name("GET /users/{id}", ".pdf") == "code-review-GET_users_id.pdf"
    assert report_name("../../etc/passwd") == "code-review-etc_passwd.md"  # never a path


def test_an_existing_file_is_kept_unless_overwrite(tmp_path):
    target = tmp_path / "out" / "code-review-report.md"
    first = save_report("# one\n", target)
    second = save_report("# two\n", target)
    third = save_report("# three\n", target)
    assert (first, second, third) == (target, tmp_path / "out" / "code-review-report-2.md",
                                      tmp_path / "out" / "code-review-report-3.md")
    assert first.read_text() == "# one\n" and second.read_text() == "# two\n"
    assert save_report("# replaced\n", target, overwrite=True) == target and target.read_text() == "# replaced\n"


def test_concurrent_exports_claim_distinct_names(tmp_path):
    got: list = []
    threads = [threading.Thread(target=lambda: got.append(claim_path(tmp_path / "r.md"))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(got) == 8 and len(set(got)) == 8


def test_a_failed_export_gives_its_claimed_name_back(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "no-tools"))  # no pandoc: the PDF export fails
    target = tmp_path / "code-review-report.pdf"
    try:
        written = save_report("# x\n", target)
    except ExportError as exc:
        assert "pandoc" in str(exc) or "weasyprint" in str(exc)
        assert not target.exists()  # no empty file left behind under the name
    else:  # pandoc found elsewhere: then it is a real PDF
        assert written.read_bytes().startswith(b"%PDF")


def test_run_folders_are_new_each_time(tmp_path):
    a, b = run_folder(tmp_path / "out"), run_folder(tmp_path / "out")
    assert a != b and a.is_dir() and b.is_dir() and a.parent == b.parent == tmp_path / "out"
    assert a.name.startswith("run-")

