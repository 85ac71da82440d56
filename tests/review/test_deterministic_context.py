"""The code-review prompt depends only on the code: a fresh and a reused index give the same one."""
from __future__ import annotations

from .conftest import make_index


def test_fresh_and_reused_index_give_the_same_prompt(orders_src, orders_results, tmp_path):
    opids = list(orders_results.operation_ids)
    fresh = make_index(orders_src, orders_results, tmp_path / "fresh")
    try:
        want = {o: fresh.context_for(o).to_prompt() for o in opids}
    finally:
        fresh.close()
    reopened = make_index(orders_src, orders_results, tmp_path / "fresh")  # the same index, reused
    try:
        assert {o: reopened.context_for(o).to_prompt() for o in opids} == want
    finally:
        reopened.close()
    # a reused index whose store saw deletes and re-inserts (a file changed, then changed back)
    app = orders_src / "app.py"
    original = app.read_text()
    make_index(orders_src, orders_results, tmp_path / "reused").close()
    app.write_text(original + "\n\ndef stock_helper(sku):\n    return {'sku': sku, 'stock': 0}\n")
    make_index(orders_src, orders_results, tmp_path / "reused").close()
    app.write_text(original)
    reused = make_index(orders_src, orders_results, tmp_path / "reused")
    try:
        got = {o: reused.context_for(o).to_prompt() for o in opids}
    finally:
        reused.close()
    assert got == want
