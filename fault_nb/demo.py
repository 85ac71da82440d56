"""`fault-nb demo`: run the code-review notebook headless and keep what it wrote.

    fault-nb demo --out out

executes ``notebooks/02-code-review.ipynb`` on a fresh kernel (nbclient),
then leaves in ``out/``: the executed notebook, ``code-review-report.md`` and
fault's ``report.md``. Parameters reach the notebook through environment
variables (``FAULT_NB_OUT``, ``FAULT_NB_SHARED``, ``FAULT_NB_LOAD_SCALE``).

This module is imported to build the CLI parser, so it imports nothing heavy
at module level.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .errors import FaultNbError

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK = "02-code-review.ipynb"
OUTPUTS = ("code-review-report.md", "report.md")
EXAMPLES = "examples"  # the sample apps and sample results, in the repository


def find_shared(start: str | os.PathLike | None = None) -> Path:
    """The folder of sample apps and sample results the notebooks and the demo read.

    It holds ``apps/`` (webapp, orders, inventory) and ``fixtures/results/``.
    ``$FAULT_NB_SHARED`` wins (any folder laid out the same way); otherwise the
    repository's ``examples/`` folder, looked for above ``start`` (the current
    directory: Binder installs a wheel and runs the notebooks in the clone) and
    then beside this package (a source checkout); last, the copy the wheel ships
    as ``fault_nb/_examples``. Nothing outside the repository is needed.

    >>> (find_shared() / "apps" / "webapp" / "app.py").is_file()
    True
    """
    env = os.environ.get("FAULT_NB_SHARED")
    if env:
        path = Path(env).expanduser().resolve()
        if not path.is_dir():
            raise FaultNbError(f"FAULT_NB_SHARED={env}: not a directory")
        return path
    origin = Path(start or os.getcwd()).resolve()
    for base in (origin, REPO):
        for parent in (base, *base.parents):
            if _is_examples(parent / EXAMPLES):
                return parent / EXAMPLES
    packaged = Path(__file__).resolve().parent / "_examples"
    if _is_examples(packaged):
        return packaged
    raise FaultNbError(
        f"cannot find the sample apps ({EXAMPLES}/apps and {EXAMPLES}/fixtures) above {origin}, "
        "beside the fault_nb checkout or inside the installed package; "
        "set FAULT_NB_SHARED=/path/to/a/folder/with/apps/and/fixtures")


def _is_examples(path: Path) -> bool:
    return (path / "apps" / "webapp").is_dir() and (path / "fixtures").is_dir()


def notebook_path(name: str = NOTEBOOK) -> Path:
    """A notebook of this checkout (``notebooks/`` is not part of the wheel)."""
    path = REPO / "notebooks" / name
    if not path.is_file():
        raise FaultNbError(f"{path}: notebook not found (fault-nb demo runs from a source checkout)")
    return path


def run_notebook(path: str | os.PathLike, *, out: str | os.PathLike | None = None, env: dict | None = None,
                 timeout: int = 600, progress: bool = True):
    """Execute a notebook on a fresh kernel in its own folder; return the executed ``nbformat`` node.

    ``env`` is set for the kernel (how the demo passes parameters). A failing
    cell raises :class:`FaultNbError` naming the cell; the partly executed
    notebook is still written to ``out`` when given.

    >>> nb = run_notebook("notebooks/01-explore-results.ipynb", out="out/01.ipynb")  # doctest: +SKIP
    """
    from ._io import atomic_write
    from .errors import require

    nbformat = require("nbformat", "notebook")
    nbclient = require("nbclient", "notebook")
    from ._progress import tqdm  # tqdm.auto; notebook bars end as text

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    kernel_env = {**os.environ, **(env or {})}
    client = nbclient.NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
    failure = None
    try:
        client.reset_execution_trackers()
        with client.setup_kernel(env=kernel_env):
            info = client.wait_for_reply(client.kc.kernel_info())
            if info is not None and "language_info" in info["content"]:
                nb.metadata["language_info"] = info["content"]["language_info"]
            cells = list(enumerate(nb.cells))
            try:
                for index, cell in tqdm(cells, desc=path.name, unit="cell", disable=not progress):
                    client.execute_cell(cell, index, execution_count=client.code_cells_executed + 1)
            finally:
                client.set_widgets_metadata()
    except nbclient.exceptions.CellExecutionError as exc:
        failure = exc
    except nbclient.exceptions.CellTimeoutError as exc:
        failure = exc
    finally:
        if out is not None:
            atomic_write(out, nbformat.writes(nb))
    if failure is not None:
        name = getattr(failure, "ename", type(failure).__name__)
        value = getattr(failure, "evalue", str(failure).splitlines()[-1] if str(failure) else "")
        where = f" (executed notebook: {out})" if out is not None else ""
        raise FaultNbError(f"{path.name}: a cell failed: {name}: {value}{where}")
    return nb


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "demo", help="run the code-review notebook headless and write its reports",
        description="Start the seed web app, run resilience scenarios, review its endpoints "
                    "(offline rules reviewer unless an LLM is configured) and write the executed "
                    "notebook, code-review-report.md and report.md to --out.")
    parser.add_argument("--out", default="out", help="output folder (default: out)")
    parser.add_argument("--timeout", type=int, default=600, help="seconds allowed per notebook cell")
    parser.add_argument("--load-scale", type=float, default=None,
                        help="scale the load scenarios' duration (default: the notebook's own)")
    parser.set_defaults(func=_demo)


def _demo(args: argparse.Namespace) -> int:
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    notebook = notebook_path()
    env = {"FAULT_NB_OUT": str(out), "FAULT_NB_SHARED": str(find_shared())}
    if args.load_scale is not None:
        env["FAULT_NB_LOAD_SCALE"] = str(args.load_scale)
    executed = out / notebook.name
    print(f"fault-nb demo: executing {notebook} (this starts the sample app and runs scenarios)", file=sys.stderr)
    run_notebook(notebook, out=executed, env=env, timeout=args.timeout)
    missing = [name for name in OUTPUTS if not (out / name).is_file()]
    if missing:
        raise FaultNbError(f"{notebook.name} ran but did not write {', '.join(missing)} into {out}")
    print(f"executed notebook: {executed}")
    for name in OUTPUTS:
        print(f"{name}: {out / name}")
    return 0
