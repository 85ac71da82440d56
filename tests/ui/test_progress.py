"""Notebook progress bars end as text: a saved notebook (or Voilà) shows the final state, no dead widget."""
from __future__ import annotations

import pytest

pytest.importorskip("ipywidgets")
pytestmark = pytest.mark.notebook

CELL = """
from fault_nb._progress import tqdm
with tqdm(total=3, desc="code review", unit="endpoint") as bar:
    for _ in range(3):
        bar.update(1)
for _ in tqdm(range(4), desc="load", leave=False):
    pass
bar2 = tqdm(total=5, desc="broken")
bar2.update(2)
bar2.close()
"""


def test_bars_are_replaced_by_their_final_text():
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(CELL)])
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    outputs = nb.cells[0].outputs
    widget_outputs = [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert not widget_outputs, "a closed bar must not leave a widget view behind (Voila: 'model not found')"
    texts = [o["data"]["text/plain"] for o in outputs if o.get("output_type") == "display_data"]
    assert len(texts) == 3
    assert texts[0].startswith("code review: 100%") and "3/3" in texts[0]
    assert texts[1] == ""  # leave=False: the bar goes away
    assert texts[2].startswith("broken:  40%") and "2/5" in texts[2]  # an unfinished bar keeps where it stopped
