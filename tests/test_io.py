"""atomic_write and safe_join: the two guards every writer goes through."""
from __future__ import annotations

import os
import stat

import pytest

from fault_nb._io import atomic_write, safe_join
from fault_nb.errors import UnsafePathError


def test_atomic_write_new_file_uses_umask(tmp_path):
    old = os.umask(0o022)
    try:
        p = atomic_write(tmp_path / "a" / "r.md", "x")
    finally:
        os.umask(old)
    assert p.read_text() == "x"
    assert stat.S_IMODE(p.stat().st_mode) == 0o644


def test_atomic_write_keeps_mode_and_leaves_no_temp(tmp_path):
    p = tmp_path / "r.md"
    p.write_text("old")
    p.chmod(0o600)
    atomic_write(p, b"new")
    assert p.read_bytes() == b"new"
    assert stat.S_IMODE(p.stat().st_mode) == 0o600
    assert [f.name for f in tmp_path.iterdir()] == ["r.md"]


def test_atomic_write_failure_keeps_old_file(tmp_path):
    p = tmp_path / "r.md"
    p.write_text("precious")
    with pytest.raises(TypeError):
        atomic_write(p, 12345)  # not text nor bytes
    assert p.read_text() == "precious"
    assert [f.name for f in tmp_path.iterdir()] == ["r.md"]


@pytest.mark.parametrize("bad", ["../x.py", "/etc/passwd", "a/../../x"])
def test_safe_join_refuses_escapes(tmp_path, bad):
    with pytest.raises(UnsafePathError):
        safe_join(tmp_path, bad)


def test_safe_join_refuses_symlink_escape(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "link").symlink_to(tmp_path)
    with pytest.raises(UnsafePathError):
        safe_join(tmp_path / "src", "link/outside.py")
    assert safe_join(tmp_path / "src", "pkg/app.py") == (tmp_path / "src" / "pkg" / "app.py").resolve()


def test_writing_over_a_directory_names_it_and_the_cli_says_so_in_one_line(tmp_path, capsys, fixtures_dir):
    import pytest

    from fault_nb._io import atomic_write
    from fault_nb.cli import main

    with pytest.raises(IsADirectoryError) as err:
        atomic_write(tmp_path, "x")
    assert err.value.filename == str(tmp_path) and list(tmp_path.iterdir()) == []  # no temp file left
    # used to end in a traceback naming a temporary file in the parent directory
    rc = main(["agent", "scenario-review", "--results", str(fixtures_dir / "results" / "seed_app.results.json"),
               "--report", str(tmp_path)])
    err_text = capsys.readouterr().err
    assert rc == 2 and "Traceback" not in err_text
    assert err_text.strip().splitlines()[-1] == f"fault-nb: error: {tmp_path}: Is a directory"


def test_concurrent_writers_leave_the_umask_as_it_was(tmp_path):
    # reading the umask by setting it to 0 and back, from two threads at once, could leave it at 0:
    # every later file of the session world-writable
    import sys
    import threading

    old, interval = os.umask(0o027), sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, so an unguarded toggle interleaves
    try:
        def write(k: int) -> None:
            for i in range(200):
                atomic_write(tmp_path / f"t{k}" / f"{i}.md", "x")

        threads = [threading.Thread(target=write, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not any(t.is_alive() for t in threads)
        now = os.umask(0o027)
        assert now == 0o027
        modes = {stat.S_IMODE(f.stat().st_mode) for f in tmp_path.rglob("*.md")}
        assert modes == {0o640}
    finally:
        sys.setswitchinterval(interval)
        os.umask(old)
