"""EndpointPicker: fault's ``operationId [METHOD url]`` picker as a Dropdown."""
from __future__ import annotations

import html

from ._common import widgets_module, with_fallback

_w = widgets_module()

EMPTY = "No endpoints in these results: the file has no scenario items, so there is nothing to pick."


def endpoint_options(results) -> list[tuple[str, str]]:
    """``[(label, operation_id), ...]`` in the order fault's picker lists them.

    >>> endpoint_options(results)[0]  # doctest: +SKIP
    ('index__get [GET http://localhost:9090/]', 'index__get')
    """
    frame = results.endpoints
    out = []
    for row in frame.itertuples(index=False):
        # the value is the endpoint_key: the operationId, or "METHOD url" without one (reviewing
        # that then says which operationIds exist); fault's "none" placeholder has a derived id
        out.append((str(row.label), str(row.endpoint_key)))
    # one operationId at several URLs (/users/1 and /users/2): one option, the value is what gets reviewed
    counts: dict[str, int] = {}
    for _, value in out:
        counts[value] = counts.get(value, 0) + 1
    seen: set[str] = set()
    merged = []
    for label, value in out:
        if value not in seen:
            seen.add(value)
            merged.append((label + (f" (+{counts[value] - 1} more URL(s))" if counts[value] > 1 else ""), value))
    return merged


class EndpointPicker(_w.Dropdown):
    """Pick one endpoint of a run; ``value`` is its operation id.

    >>> picker = EndpointPicker(results)  # doctest: +SKIP
    >>> picker.value  # doctest: +SKIP
    'index__get'
    """

    def __init__(self, results, **kwargs):
        options = endpoint_options(results)
        kwargs.setdefault("description", "Endpoint")
        kwargs.setdefault("layout", _w.Layout(width="min(100%, 46em)"))
        kwargs.setdefault("style", {"description_width": "initial"})
        if not options:
            kwargs.setdefault("tooltip", EMPTY)
            kwargs.setdefault("disabled", True)
        super().__init__(options=options, **kwargs)
        self.results = results

    @property
    def label_for_value(self) -> str:
        for label, value in self.options:
            if value == self.value:
                return label
        return ""

    def _repr_mimebundle_(self, **kwargs):
        lines = [label for label, _ in self.options]
        text = "EndpointPicker:\n" + "\n".join(("> " if v == self.value else "  ") + l
                                               for l, v in self.options)
        items = "".join(f"<li>{html.escape(l)}</li>" for l in lines)
        if not lines:
            text = f"EndpointPicker: {EMPTY}"
            return with_fallback(super()._repr_mimebundle_(**kwargs), text, f"<p>{html.escape(EMPTY)}</p>")
        return with_fallback(super()._repr_mimebundle_(**kwargs), text,
                             f"<p>Endpoints in this run:</p><ul>{items}</ul>")
