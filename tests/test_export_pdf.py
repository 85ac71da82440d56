"""The PDF a team would share: rendered with pandoc + weasyprint, looked at as pictures (pdftoppm).

Checks colours (red/green diff lines), page breaks (a diff that fits a page is not split,
one endpoint per page), headings (one per endpoint) and words instead of emoji.
"""
from __future__ import annotations

import html
import shutil
import subprocess

import pytest

from fault_nb.export import markdown_to_pdf, pdf_text
from fault_nb.review.evidence import evidence_markdown

pytestmark = pytest.mark.slow

DIFF = "\n".join(["--- a/app.py", "+++ b/app.py", "@@ -1,9 +1,9 @@"]
                 + [f" context_{i} = {i}" for i in range(3)]
                 + [f"-old_line_{i} = fetch()" for i in range(4)]
                 + [f"+new_line_{i} = fetch(timeout=2.0)" for i in range(4)]
                 + [f" tail_{i} = {i}" for i in range(4)])  # 18 lines


def _tools():
    for tool in ("pandoc", "pdftoppm", "pdftotext"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is missing: run scripts/sysdeps.sh (apt-get install pandoc poppler-utils)")
    pytest.importorskip("weasyprint")


def _pages_text(pdf) -> list[str]:
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, timeout=60,
                         check=True).stdout
    return out.split("\f")


def _page_images(pdf, tmp_path, dpi: int = 50):
    from PIL import Image

    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(tmp_path / "page")], check=True, timeout=120)
    return [Image.open(p).convert("RGB") for p in sorted(tmp_path.glob("page-*.png"))]


def _count(img, rgb, tol: int = 6) -> int:
    r0, g0, b0 = rgb
    pixels = img.get_flattened_data() if hasattr(img, "get_flattened_data") else img.getdata()
    return sum(1 for r, g, b in pixels if abs(r - r0) <= tol and abs(g - g0) <= tol and abs(b - b0) <= tol)


# the evidence a review shows: fault rows, then SLO rows (two tables, as review.render writes them)
EVIDENCE = {
    "rows": [{"id": "E1", "fault": "latency", "requests": 3, "p50_ms": 120.0, "p95_ms": 812.0, "p99_ms": 900.0,
              "failure_rate": 0.0, "error_rate": 0.0, "timeout_rate": 0.0, "http_5xx_rate": 0.0,
              "failed_expectations": 0}],
    "slo": [{"id": "S1", "scenario": "Latency spike", "fault": "latency", "slo": "P95 < 300ms", "threshold": 300.0,
             "unit": "ms", "pass": True, "margin": "12 ms under"}],
}


def _report(endpoints: int, filler: int) -> str:
    parts = []
    for e in range(endpoints):
        parts += [f"# endpoint_{e}: `GET http://h/{e}`", "## Scenario evidence", evidence_markdown(EVIDENCE),
                  "## Suggestions"]
        parts += [f"Filler paragraph {i} that pushes the diff towards the end of the page." for i in range(filler)]
        parts += ["### s1. Add a timeout", "```diff\n" + DIFF + "\n```"]
    return "\n\n".join(parts) + "\n"


def _words(pdf, page: int = 1) -> list[tuple[str, float, float]]:
    """``(word, top, bottom)`` in points of one page (pdftotext -bbox)."""
    import re

    out = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    return [(html.unescape(w), float(y0), float(y1)) for y0, y1, w in
            re.findall(r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>', out)]


def test_diff_lines_are_red_and_green_and_a_diff_stays_on_one_page(tmp_path):
    _tools()
    # 20 filler paragraphs put the 18-line diff at the bottom of page 1: without
    # break-inside: avoid it is cut in two there (checked when this test was written)
    pdf = markdown_to_pdf(_report(1, 20), tmp_path / "r.pdf", title="Code review")
    pages = _pages_text(pdf)
    holding = [i for i, text in enumerate(pages) if "new_line_0" in text or "old_line_0" in text or "tail_3" in text]
    assert len(set(holding)) == 1, f"the diff is split over pages {sorted(set(holding))}"
    page = holding[0]
    assert all(f"new_line_{i}" in pages[page] for i in range(4)) and "tail_3" in pages[page]
    assert len([p for p in pages if p.strip()]) >= 2, "the filler should have pushed the diff to a new page"
    img = _page_images(pdf, tmp_path)[page]
    green, red = _count(img, (0xDA, 0xFB, 0xE1)), _count(img, (0xFF, 0xEB, 0xE9))
    assert green > 500 and red > 500, (green, red)  # the added and removed rows are tinted
    # one heading per endpoint: pandoc adds no title block of its own
    assert pages[0].count("endpoint_0") == 1


def test_one_endpoint_per_page_and_tables_apart(tmp_path):
    _tools()
    pdf = markdown_to_pdf(_report(3, 0), tmp_path / "r.pdf", title="Code review")
    pages = [p for p in _pages_text(pdf) if p.strip()]
    assert len(pages) == 3
    for i, text in enumerate(pages):
        assert f"endpoint_{i}" in text and all(f"endpoint_{j}:" not in text for j in range(3) if j != i)
    # the evidence and SLO tables are two tables with white between them: the E1 row closes the first
    # (its bottom border), the second has a header row of its own (th background), then the S1 row
    words = _words(pdf)
    e1 = next(w for w in words if w[0] == "E1")
    head = next(w for w in words if w[0] == "scenario" and w[1] > e1[2])  # the SLO table's header cell
    s1 = next(w for w in words if w[0] == "S1")
    assert e1[2] < head[1] < s1[1]
    img = _page_images(pdf, tmp_path, dpi=72)[0]  # 72 dpi: one pixel per point
    width = img.size[0]

    def inked(y: int) -> bool:
        return any(img.getpixel((x, y)) != (255, 255, 255) for x in range(0, width, 2))

    between = [inked(y) for y in range(int(e1[2]) + 1, int(head[1]))]
    blank, run = 0, 0
    for ink in between:
        run = 0 if ink else run + 1
        blank = max(blank, run)
    assert blank >= 12, f"only {blank} pt of white between the evidence and SLO tables"
    header_row = int((head[1] + head[2]) / 2)
    assert _count(img.crop((0, header_row, width, header_row + 1)), (0xF0, 0xF3, 0xF6), tol=3) > 50, \
        "the SLO table has no header row of its own"


def test_emoji_become_words_in_the_pdf_and_report_md_keeps_faults_bytes(tmp_path, fixtures_dir):
    _tools()
    from fault_nb import load_results

    from fault_nb.export import save_report

    results = load_results(fixtures_dir / "results" / "seed_app.results.json")
    expected = results.to_markdown().encode("utf-8")  # computed apart from the file the product writes
    assert "\u2705".encode() in expected and "\u274c".encode() in expected  # fault's own markers
    report = tmp_path / "report.md"
    results.to_markdown(report)  # the product writes report.md ...
    assert report.read_bytes() == expected
    # ... then the PDF of the same text, next to it: report.md keeps fault's bytes (emoji and all)
    pdf = save_report(report.read_text(encoding="utf-8"), tmp_path / "report.pdf", title="report")
    assert pdf == tmp_path / "report.pdf"
    assert report.read_bytes() == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.md", "report.pdf"]
    text = "\n".join(_pages_text(pdf))
    assert "\u2705" not in text and "\u274c" not in text and "\U0001f3af" not in text
    assert " FAIL " in text and " pass " in text
    assert pdf_text("\U0001f5a5\ufe0f\u2b05\ufe0f") == "client \u2b05"
