"""Exports never overwrite without a choice: names per endpoint, numbered names, run folders."""
from __future__ import annotations

import threading

from fault_nb.errors import ExportError
from fault_nb import _io
from fault_nb.export import report_name, run_folder, save_report


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


def test_concurrent_exports_get_distinct_names_and_are_never_seen_half_written(tmp_path):
    body = "# report\n" + "x" * 200_000 + "\nEND\n"
    seen: dict = {}
    stop = threading.Event()

    def watch():  # what a file watcher (or a test polling for the export) reads meanwhile
        while not stop.is_set():
            for f in tmp_path.glob("r*.md"):
                try:
                    seen.setdefault(f.name, set()).add(f.read_text())
                except FileNotFoundError:
                    pass

    got: list = []
    watcher = threading.Thread(target=watch)
    watcher.start()
    writers = [threading.Thread(target=lambda: got.append(save_report(body, tmp_path / "r.md"))) for _ in range(8)]
    for t in writers:
        t.start()
    for t in writers:
        t.join(timeout=30)
    stop.set()
    watcher.join(timeout=30)
    assert len(got) == 8 and len(set(got)) == 8
    assert sorted(p.name for p in got) == sorted(["r.md"] + [f"r-{n}.md" for n in range(2, 9)])
    assert all(p.read_text() == body for p in got)
    assert all(texts == {body} for texts in seen.values()), "a reader saw an export empty or half written"
    assert not list(tmp_path.glob(".r*.tmp"))  # no temporary files left


def test_without_hard_links_the_name_is_still_never_taken_twice(tmp_path, monkeypatch):
    import errno

    def no_link(src, dst):
        raise OSError(errno.EPERM, "hard links not supported here")

    monkeypatch.setattr(_io.os, "link", no_link)
    (tmp_path / "r.md").write_text("mine\n")
    written = save_report("# new\n", tmp_path / "r.md")
    assert written == tmp_path / "r-2.md" and written.read_text() == "# new\n"
    assert (tmp_path / "r.md").read_text() == "mine\n"
    assert not list(tmp_path.glob(".r*.tmp"))


def test_a_failed_export_leaves_no_file_behind(tmp_path, monkeypatch):
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

