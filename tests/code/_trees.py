"""Small source trees written on the fly for the code-index tests."""
from __future__ import annotations

import textwrap


def write_tree(root, files: dict[str, str]):
    """Write ``{relative path: dedented text}`` under ``root`` and return ``root``."""
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text).lstrip("\n"))
    return root
