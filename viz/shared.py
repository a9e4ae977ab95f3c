"""Shared nodes drawn again beside far uses, so graphviz never stalls on a long edge.

graphviz's layout cost grows with the ranks every edge spans (it routes a long edge through
one virtual node per rank): one variable used by every op of a long product, `x*x*...*x`,
took minutes. So an edge that would span more than `MAX_SPAN` ranks is not drawn; instead
the node is drawn once more right beside that consumer, as a *copy*: same name, same value,
same (total) gradient, a dotted frame and "copy · used k×" in its header, so a reader still
sees one node whose gradient sums every use. That bounds graphviz's work by the number of
edges, whatever the shape of the graph; short edges (the `a*a + a` a lesson is about) stay.

Ranks are estimated the way graphviz's network simplex settles them: first each node as
early as its parents allow (one rank after the latest, two with a separate op node), then,
from the output back, a node moves up to just before its first consumer when it has at
least as many edges out as edges in from other ops (a leaf always does; so does a product
of two leaves, with its leaves). The "… more nodes" placeholder of a cut graph is treated
like a leaf (index -1): it feeds every kept node that uses a node cut off, and gets copies
the same way.

>>> from autograd import Value, topological_order
>>> x = Value(2.0, label="x"); y = x
>>> for _ in range(9): y = y * x
>>> nodes = topological_order(y)
>>> parents = [tuple(nodes.index(p) for p in n.parents) for n in nodes]
>>> copies = plan_copies(parents, list(range(len(nodes))), merge_ops=False)
>>> sorted(copies.copies_of[0])          # x is drawn again beside the far products
[4, 5, 6, 7, 8, 9]
>>> copies.uses[0]
9
"""
from __future__ import annotations

from typing import Dict, List, Sequence

MAX_SPAN = 6     # ranks an edge may span; measured in benchmarks/bench_viz.py


class Copies:
    """Which edges come from a copy. `copies_of[p]` lists the consumers that get their own
    copy of node p (in order); `uses[p]` is p's number of consumers (shown on every copy
    and on p itself); `edge_from(p, i)` names the DOT node an edge p -> i starts at."""

    __slots__ = ("copies_of", "uses", "_copied")

    def __init__(self) -> None:
        self.copies_of: Dict[int, List[int]] = {}
        self.uses: Dict[int, int] = {}
        self._copied: set = set()

    def __len__(self) -> int:
        return len(self._copied)

    def add(self, p: int, consumer: int, uses: int) -> None:
        if (p, consumer) not in self._copied:
            self._copied.add((p, consumer))
            self.copies_of.setdefault(p, []).append(consumer)
            self.uses[p] = uses

    def edge_from(self, p: int, consumer: int) -> str:
        if (p, consumer) in self._copied:
            return copy_name(p, consumer)
        return f"n{p}" if p >= 0 else "more"


def copy_name(p: int, consumer: int) -> str:
    return f"n{p}_c{consumer}" if p >= 0 else f"more_c{consumer}"


def plan_copies(parents: Sequence[tuple], item_of: Sequence[int], merge_ops: bool,
                max_span: int = MAX_SPAN) -> Copies:
    """The copies a drawing needs: one per (node, far consumer) pair of nodes drawn on
    their own (`item_of[i] == i`; folded modules are left alone), and for the cut-off
    placeholder (`item_of[i] == -1`).
    """
    n = len(parents)
    step = 1 if merge_ops else 2          # an op node sits between a node and its inputs
    consumers: Dict[int, List[int]] = {}  # drawn node (or -1) -> its consumers, one per edge
    pinned = [0] * n                      # edges in from drawn op nodes
    rank = [0] * n
    for i, ps in enumerate(parents):
        if item_of[i] != i:
            continue
        r = -step                         # parents that are leaves follow their consumer
        for p in ps:
            b = item_of[p]
            if b == p or b == -1:
                consumers.setdefault(b, []).append(i)
                if b == p and parents[p]:
                    pinned[i] += 1
                    r = max(r, rank[p])
        rank[i] = r + step if ps else 0
    for i in reversed(range(n)):
        users = consumers.get(i)
        if users and len(users) >= pinned[i]:
            latest = min(rank[c] for c in users) - step
            # Nothing holds a node fed by leaves only: it goes wherever its consumers are.
            rank[i] = latest if not pinned[i] else max(rank[i], latest)
    copies = Copies()
    for p in sorted(consumers):
        users = consumers[p]
        start = rank[p] if p >= 0 else min(rank[c] for c in users) - step
        distinct = len(set(users))
        for i in users:
            # The edge arrives at i's op node, one rank before i (or at i itself).
            if rank[i] - step + 1 - start > max_span:
                copies.add(p, i, distinct)
    return copies
