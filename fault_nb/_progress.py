"""Progress bars: ``tqdm.auto``, with notebook bars that leave their final state as text.

A notebook bar is an ipywidget. Once its work is done, the widget is replaced by
the bar's last line as plain text (or by nothing for ``leave=False`` bars) and
the widget is closed. So a saved notebook shows "code review: 100% 3/3", not the
"0% 0/3" of the moment it was displayed, and Voilà never shows "model not found"
for a bar whose widget is gone.

>>> from fault_nb._progress import tqdm
>>> for _ in tqdm(range(3), desc="work", disable=True):
...     pass
"""
from __future__ import annotations

from typing import Any

__all__ = ["tqdm"]

_BAR_CLASS: Any = None


def tqdm(*args: Any, **kwargs: Any):
    """``tqdm.auto.tqdm(...)``; in a notebook kernel, a bar that turns into text when it closes."""
    from tqdm.auto import tqdm as auto

    try:
        from tqdm.notebook import tqdm_notebook
    except ImportError:  # pragma: no cover - tqdm without its notebook module
        return auto(*args, **kwargs)
    if not (isinstance(auto, type) and issubclass(auto, tqdm_notebook)):
        return auto(*args, **kwargs)
    return _notebook_bar()(*args, **kwargs)


def _notebook_bar():
    global _BAR_CLASS
    if _BAR_CLASS is not None:
        return _BAR_CLASS
    from IPython.display import display as ipy_display
    from tqdm.notebook import tqdm_notebook

    class NotebookBar(tqdm_notebook):
        """tqdm's widget bar, displayed with a display id so that closing can replace it."""

        def __init__(self, *args: Any, **kwargs: Any):
            kwargs = dict(kwargs)
            self._want_display = kwargs.pop("display", True)
            self._handle = None
            kwargs["display"] = False
            super().__init__(*args, **kwargs)
            if not self.disable and self._want_display and self.delay <= 0:
                self._show()

        def _show(self) -> None:
            self._handle = ipy_display(self.container, display_id=True)
            self.displayed = True

        def display(self, msg=None, pos=None, close=False, bar_style=None, check_delay=True):
            super().display(msg, pos, close=close, bar_style=bar_style, check_delay=False)
            if check_delay and self.delay > 0 and not self.displayed and self._want_display:
                self._show()

        def close(self) -> None:
            if self.disable or getattr(self, "_closed_to_text", False):
                return super().close()
            super().close()
            self._closed_to_text = True
            handle = self._handle
            if handle is None:
                return
            failed = bool(self.total and self.n < self.total)
            text = self.format_meter(**self.format_dict) if (self.leave or failed) else ""
            try:
                handle.update({"text/plain": text}, raw=True)
                self.container.close()
            except Exception:  # the kernel's display machinery is gone (shutdown): nothing to replace
                pass

    _BAR_CLASS = NotebookBar
    return NotebookBar
