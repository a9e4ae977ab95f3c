"""A graph laid out once and repainted per frame: the table of node looks pages send.

The backward-steps page, the explorer and the film draw one SVG and change colours and
numbers in the page. What a frame changes on a node is its *look*, a short list
`[fill, pen, pen width, dashes, grad text, muted?, tag]` (viz/web/frames.js paints it).
Looks repeat a lot, so a page sends each distinct look once and, per frame, the looks
that changed.

>>> table = Looks()
>>> rows = [[table.add(["#fff", "#000", 1, "", "?", True, ""])] * 2,
...         [table.add(["#fff", "#000", 1, "", "?", True, ""]),
...          table.add(["#4f93dc", "#000", 1, "", "1.0000", False, ""])]]
>>> len(table.entries), changes(rows)
(2, [[], [[1, 1]]])
"""
from __future__ import annotations

from typing import Any, Dict, List, Sequence

from .dot import Frame, Look, Writer
from .drawing import Drawing
from .svgpage import annotate


def entry(look: Look) -> list:
    """A look as the page's script reads it."""
    return [look.fill, look.border, look.width, "5,2" if look.dashed else "", look.text or "",
            look.color is not None, look.tag]


class Looks:
    """The distinct looks of a page (`entries`) and the colour kinds they use (`kinds`)."""

    __slots__ = ("entries", "kinds", "_index")

    def __init__(self) -> None:
        self.entries: List[list] = []
        self.kinds: set = set()
        self._index: Dict[tuple, int] = {}

    def add(self, item: list) -> int:
        key = tuple(item)
        j = self._index.get(key)
        if j is None:
            j = self._index[key] = len(self.entries)
            self.entries.append(item)
        return j

    def of(self, writer: Writer, i: int, state: str, grad: Any) -> int:
        """The index of node i's look when its gradient is `grad` in `state`."""
        look = writer.look(i, state, grad)
        if look.style is not None:
            self.kinds.add(look.style.kind)
        return self.add(entry(look))


def rows(looks: Looks, writer: Writer, frames: Sequence[tuple]) -> List[List[int]]:
    """Per frame `(states, grads)`, every node's look index."""
    n = len(writer.nodes)
    return [[looks.of(writer, i, states[i], grads[i]) for i in range(n)]
            for states, grads in frames]


def changes(table: Sequence[Sequence[int]]) -> List[List[List[int]]]:
    """Per frame, the `[node, look]` pairs that differ from the frame before (none for the
    first)."""
    return [[] if k == 0 else [[i, look] for i, look in enumerate(row) if look != table[k - 1][i]]
            for k, row in enumerate(table)]


def widest(looks: Looks, table: Sequence[Sequence[int]], n: int) -> List[str]:
    """Per node, its longest grad text over every frame (the box is sized to fit it)."""
    return [max((looks.entries[row[i]][4] for row in table), key=len) for i in range(n)]


def laid_out(writer: Writer, texts: List[str], kinds: set, labels: Sequence[str]) -> str:
    """The one SVG, every box wide enough for `texts`, the key showing `kinds`, marked
    for the page's script."""
    state = writer.frame.state if writer.frame is not None else ["final"] * len(writer.nodes)
    writer.frame = Frame(state, -1, [], texts=texts, kinds=kinds,
                         stepping=writer.frame.stepping if writer.frame is not None else True)
    return annotate(Drawing(writer.document()).svg, labels)
