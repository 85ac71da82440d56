"""Checks the browser tests run on a page: widget errors, chart geometry, overlapping or clipped text."""
from __future__ import annotations

KERNEL_IDLE = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.status === 'idle';
}"""


def render_cell(voila, page, name: str, source: str) -> None:
    """Write a one-cell notebook into Voila's root and open it."""
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, voila.root / f"{name}.ipynb")
    page.goto(f"{voila.url}/voila/render/{name}.ipynb?token={voila.token}", timeout=120_000)


WIDGET_ERRORS = ("Error displaying widget", "model not found", "Failed to load model class",
                 "Error rendering output item", "Javascript Error")


def widget_errors(page) -> list[str]:
    """Widget / output error texts anywhere in the page (Voila and JupyterLab wording)."""
    text = page.evaluate("() => document.body.innerText")
    return [e for e in WIDGET_ERRORS if e.lower() in text.lower()]


CHART_GEOMETRY = """(root) => {
  const charts = [];
  for (const plot of (root || document).querySelectorAll('.js-plotly-plot')) {
    const svg = plot.querySelector('svg.main-svg');
    if (!svg) continue;
    const box = svg.getBoundingClientRect();
    if (box.width < 50 || box.height < 50) continue;
    let plotArea = 0;
    for (const d of plot.querySelectorAll('.nsewdrag')) {
      const r = d.getBoundingClientRect(); plotArea += r.width * r.height;
    }
    const texts = [];
    for (const t of plot.querySelectorAll('svg.main-svg text')) {
      if (t.closest('.hoverlayer') || !t.textContent.trim()) continue;
      const style = getComputedStyle(t);
      if (style.display === 'none' || style.visibility === 'hidden' || style.opacity === '0') continue;
      const r = t.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      texts.push({text: t.textContent, x0: r.left, y0: r.top, x1: r.right, y1: r.bottom,
                  fill: style.fill});
    }
    const title = plot.querySelector('.gtitle');
    charts.push({title: title ? title.textContent : '', width: box.width, height: box.height,
                 x0: box.left, y0: box.top, x1: box.right, y1: box.bottom,
                 share: plotArea / (box.width * box.height), texts,
                 legendScroll: !!plot.querySelector('.legend .scrollbar[height]:not([height="0"])')
                   && plot.querySelector('.legend .scrollbar').getBoundingClientRect().height > 0});
  }
  return charts;
}"""


def chart_geometry(page, root_selector: str | None = None) -> list[dict]:
    root = page.locator(root_selector).element_handle() if root_selector else None
    return page.evaluate(CHART_GEOMETRY, root)


def overlapping_labels(chart: dict, slack: float = 1.0) -> list[tuple[str, str]]:
    """Pairs of text labels of one chart whose boxes overlap (by more than ``slack`` px each way)."""
    out = []
    texts = chart["texts"]
    for i, a in enumerate(texts):
        for b in texts[i + 1:]:
            if (min(a["x1"], b["x1"]) - max(a["x0"], b["x0"]) > slack
                    and min(a["y1"], b["y1"]) - max(a["y0"], b["y0"]) > slack):
                out.append((a["text"], b["text"]))
    return out


def clipped_labels(chart: dict, slack: float = 1.0) -> list[str]:
    """Text labels that stick out of the chart's own box (cut off by it)."""
    return [t["text"] for t in chart["texts"]
            if t["x0"] < chart["x0"] - slack or t["x1"] > chart["x1"] + slack
            or t["y0"] < chart["y0"] - slack or t["y1"] > chart["y1"] + slack]


def clipped_html_text(page, selector: str) -> list[str]:
    """Elements under ``selector`` whose text is wider than their box and hidden (ellipsis/overflow)."""
    return page.evaluate("""(sel) => {
      const out = [];
      for (const root of document.querySelectorAll(sel)) {
        for (const el of root.querySelectorAll('label, button, .widget-label, .widget-html-content, th, .fnb-title')) {
          if (!el.offsetParent || !el.textContent.trim()) continue;
          const style = getComputedStyle(el);
          const hides = style.overflow === 'hidden' || style.overflowX === 'hidden' || style.textOverflow === 'ellipsis';
          if (hides && el.scrollWidth > el.clientWidth + 1) out.push(el.textContent.trim().slice(0, 60));
        }
      }
      return out;
    }""", selector)
