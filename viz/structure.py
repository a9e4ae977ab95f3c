"""What gets drawn: module clusters, folding (collapse) and the size cap.

Nodes made while an nn module runs carry it in `_scope`. Each module with a `_qualname`
like `layers.0.neurons.3` becomes a graphviz cluster nested in the clusters of its
enclosing modules (`layers.0`), so a drawing shows the model's structure. The *level* of a
cluster counts modules, not dots: `layers.0` is level 1, `layers.0.neurons.3` level 2 (a
name followed by an index is one list element); the root module (qualname '') is level 0.

Folding at level N replaces every cluster deeper than N with one summary node. A graph
over `max_nodes` is folded at the deepest level that fits; if no level fits (or there are
no modules), only the nodes nearest the output are kept and the rest become one
"... more nodes" placeholder. Everything here walks the topological order: no recursion.

>>> class Neuron: _qualname = "layers.0.neurons.3"
>>> _module_prefixes("layers.0.neurons.3")
[('layers.0', 1), ('layers.0.neurons.3', 2)]
"""
from __future__ import annotations

import contextlib
from contextvars import ContextVar
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

EDGES_PER_NODE = 3     # a folded view must also keep edges few, or dot's layout crawls

# How a drawing's notes name the options that show more: Python's keywords by default;
# the command line names its own (`--max-nodes`), never a Python-only argument.
_SPELLING: ContextVar[Dict[str, str]] = ContextVar(
    "spelling", default={"max_nodes": "max_nodes=", "collapse": "collapse="})


@contextlib.contextmanager
def option_spelling(**names: str) -> Iterator[None]:
    """While inside, drawings' notes name options this way, e.g.
    `option_spelling(max_nodes="--max-nodes")`.

    >>> with option_spelling(max_nodes="--max-nodes"):
    ...     _SPELLING.get()["max_nodes"]
    '--max-nodes'
    """
    token = _SPELLING.set({**_SPELLING.get(), **names})
    try:
        yield
    finally:
        _SPELLING.reset(token)


def spelled(option: str) -> str:
    """How messages name `option` now ('' when nobody said: a message words it itself)."""
    return _SPELLING.get().get(option, "")


class Cluster:
    __slots__ = ("label", "level", "parent", "real")

    def __init__(self, label: str, level: int, parent: int, real: bool) -> None:
        self.label = label      # 'layers.0.neurons.3 (Neuron)'
        self.level = level
        self.parent = parent    # enclosing cluster index, -1 at top level
        self.real = real        # False for a synthesized ancestor no node was scoped to


def _qualname(module: Any) -> Optional[str]:
    """The module's dotted name; '' for a root module (nn names a root after its class)."""
    q = getattr(module, "_qualname", None)
    if not isinstance(q, str):
        return None
    return "" if q == type(module).__name__ else q


def parameter_names(modules: Sequence[Any], index: Dict[int, int]) -> Dict[int, str]:
    """Node index -> parameter name ('w.0', 'bias') for the scope modules' own parameters.

    Scalar weights are plain Values with no mark of their own; their module knows them.
    """
    names: Dict[int, str] = {}
    for m in modules:
        named = getattr(m, "named_parameters", None)
        if not callable(named):
            continue
        try:
            pairs = list(named(recurse=False))
        except TypeError:          # a stand-in with another signature: no names
            continue
        for name, p in pairs:
            i = index.get(id(p))
            if i is not None and isinstance(name, str):
                names.setdefault(i, name)
    return names


def _module_prefixes(qualname: str) -> List[Tuple[str, int]]:
    """(prefix, level) for every prefix of `qualname` that names a module, itself last.

    A component followed by an index (`layers` in `layers.0`) is a list, not a module.
    """
    parts = qualname.split(".")
    out = []
    for j, part in enumerate(parts):
        last = j == len(parts) - 1
        if last or part.isdigit() or not parts[j + 1].isdigit():
            out.append((".".join(parts[: j + 1]), len(out) + 1))
    return out


_PARAM_TYPES: Dict[type, bool] = {}


def is_parameter(node: Any) -> bool:
    """A `Parameter` (by class name, so no import of nn) or a node flagged `_is_parameter`."""
    if getattr(node, "_is_parameter", False) is True:
        return True
    t = type(node)
    known = _PARAM_TYPES.get(t)
    if known is None:
        known = _PARAM_TYPES[t] = any(c.__name__ == "Parameter" for c in t.__mro__)
    return known


def _submodules(root: Any) -> Dict[int, str]:
    """id(module) -> class name for every module under `root` (via its `named_modules`)."""
    named = getattr(root, "named_modules", None)
    if not callable(named):
        return {}
    try:
        return {id(m): type(m).__name__ for _, m in named()}
    except TypeError:
        return {}


def _class_names(root: Any) -> Dict[str, str]:
    """qualname -> class name under `root`, to name the modules that made no node."""
    try:
        return {name: type(m).__name__ for name, m in root.named_modules() if name}
    except (TypeError, AttributeError):
        return {}


def find_clusters(nodes: Sequence[Any], parents: Sequence[tuple], index: Dict[int, int]
                  ) -> Tuple[List[Cluster], List[int], Dict[int, str]]:
    """The clusters, each node's innermost cluster (-1 for none), and parameter names."""
    n = len(nodes)
    scope_of = [-1] * n
    modules: List[Any] = []
    seen: Dict[int, int] = {}
    for i, node in enumerate(nodes):
        m = getattr(node, "_scope", None)
        if m is None:
            continue
        k = seen.get(id(m))
        if k is None:
            k = seen[id(m)] = len(modules)
            modules.append(m)
        scope_of[i] = k
    # A root module (a model, a loss) holds the clusters of the submodules it owns.
    roots = [(m, _submodules(m)) for m in modules if _qualname(m) == ""]

    clusters: List[Cluster] = []
    by_key: Dict[Any, int] = {}

    def make(key: Any, label: str, level: int, parent: int, real: bool) -> int:
        c = by_key.get(key)
        if c is None:
            c = by_key[key] = len(clusters)
            clusters.append(Cluster(label, level, parent, real))
        elif real and not clusters[c].real:       # a synthesized ancestor turns out to run code
            clusters[c].label, clusters[c].real = label, True
        return c

    module_cluster: List[int] = []
    for m in modules:
        name = type(m).__name__
        q = _qualname(m)
        if not q:                                 # root module ('') or no qualname at all
            level = 0 if q == "" else 1
            module_cluster.append(make(("id", id(m)), name, level, -1, True))
            continue
        parent, classes = -1, {}
        owner = next((r for r, members in roots if id(m) in members), None)
        if owner is None:          # the model made no node itself (e.g. MLP.forward)
            ref = getattr(m, "_root", None)
            owner = ref() if callable(ref) else None
        if owner is not None:
            parent = make(("id", id(owner)), type(owner).__name__, 0, -1, True)
            classes = _class_names(owner)
        prefixes = _module_prefixes(q)
        for prefix, level in prefixes[:-1]:
            label = f"{prefix} ({classes[prefix]})" if prefix in classes else prefix
            parent = make(("q", parent, prefix), label, level, parent, prefix in classes)
        module_cluster.append(make(("q", parent, q), f"{q} ({name})", prefixes[-1][1], parent,
                                   True))

    cluster_of = [module_cluster[k] if k >= 0 else -1 for k in scope_of]
    names = parameter_names(modules, index)
    # Parameters are made outside any forward call (scope None). One whose every consumer
    # sits in one cluster belongs to it (a neuron's weights); inputs stay outside.
    home: Dict[int, int] = {}
    for i in range(n):
        c = cluster_of[i]
        for p in parents[i]:
            if scope_of[p] < 0 and not parents[p] and (p in names or is_parameter(nodes[p])):
                home[p] = c if home.get(p, c) == c else -1
    for p, c in home.items():
        cluster_of[p] = c
    return clusters, cluster_of, names


class Plan:
    """The drawn items: graph node i is drawn as `item_of[i]`.

    Items 0..n-1 are single nodes, n+c is the summary of folded cluster c, -1 means cut off
    (shown as one placeholder). `open` lists the clusters still drawn as boxes.
    """

    __slots__ = ("item_of", "members", "open", "level", "dropped", "note", "count")

    def __init__(self, item_of: List[int], members: Dict[int, List[int]], open_: List[int],
                 level: Optional[int], dropped: int, note: str, count: int) -> None:
        self.item_of = item_of
        self.members = members
        self.open = open_
        self.level = level
        self.dropped = dropped
        self.note = note
        self.count = count


def _fold(clusters: List[Cluster], cluster_of: List[int], level: Optional[int]) -> List[int]:
    """item_of for folding at `level` (None: no folding)."""
    n = len(cluster_of)
    if level is None:
        return list(range(n))
    target = []
    for c, cl in enumerate(clusters):
        # Walk up to the ancestor at level+1 (module nesting is shallow: a few steps).
        t = -1
        x = c
        while x >= 0 and clusters[x].level > level:
            t = x
            x = clusters[x].parent
        target.append(t)
    return [n + target[c] if c >= 0 and target[c] >= 0 else i for i, c in enumerate(cluster_of)]


def _size(item_of: List[int], parents: Sequence[tuple]) -> Tuple[int, int]:
    edges = set()
    add = edges.add
    for i, ps in enumerate(parents):
        a = item_of[i]
        for p in ps:
            b = item_of[p]
            if a != b:
                add((b, a))
    return len(set(item_of)), len(edges)


def _truncate(item_of: List[int], parents: Sequence[tuple], roots: Sequence[int],
              budget: int) -> int:
    """Keep the `budget` items nearest the outputs; mark the rest -1. Returns items dropped."""
    into: Dict[int, set] = {}
    last: Dict[int, int] = {}
    for i, ps in enumerate(parents):
        a = item_of[i]
        last[a] = i
        for p in ps:
            b = item_of[p]
            if a != b:
                into.setdefault(a, set()).add(b)
    dist = {item_of[r]: 0 for r in roots}
    frontier = sorted(dist, key=lambda a: -last[a])
    kept: List[int] = []
    # Breadth-first from the outputs, newest items first within a distance: deterministic.
    while frontier and len(kept) < budget:
        kept.extend(frontier[: budget - len(kept)])
        nxt = set()
        for a in frontier:
            for b in into.get(a, ()):
                if b not in dist:
                    dist[b] = dist[a] + 1
                    nxt.add(b)
        frontier = sorted(nxt, key=lambda a: -last[a])
    keep = set(kept)
    dropped = len(last) - len(keep)
    for i, a in enumerate(item_of):
        if a not in keep:
            item_of[i] = -1
    return dropped


def plan(nodes: Sequence[Any], parents: Sequence[tuple], roots: Sequence[int],
         collapse: Optional[int], max_nodes: int, index: Dict[int, int]
         ) -> Tuple[Plan, List[Cluster], List[int], Dict[int, str]]:
    clusters, cluster_of, names = find_clusters(nodes, parents, index)
    n = len(nodes)
    level = collapse
    note = ""
    spelling = _SPELLING.get()
    if collapse is not None:
        item_of = _fold(clusters, cluster_of, collapse)
        count = _size(item_of, parents)[0]
    elif n <= max_nodes:
        item_of, count = list(range(n)), n
    else:
        item_of, count = list(range(n)), n
        level = None
        deepest = max((c.level for c in clusters), default=-1)
        for candidate in range(deepest - 1, -2, -1):
            folded = _fold(clusters, cluster_of, candidate)
            items, edges = _size(folded, parents)
            if items < count:
                item_of, count, level = folded, items, candidate
            if items <= max_nodes and edges <= EDGES_PER_NODE * max_nodes:
                break
        if level is not None:
            shown = "one box per top module" if level < 0 else f"collapse={level}"
            note = (f"{n:,} nodes: modules folded ({shown}) to stay under {max_nodes} "
                    f"nodes; pass {spelling['collapse']} or {spelling['max_nodes']} to see "
                    f"more.")
    dropped = 0
    if count > max_nodes:
        dropped = _truncate(item_of, parents, roots, max_nodes - 1)
        note = (note + " " if note else "") + (
            f"{n:,} nodes: only the {max_nodes - 1} nearest the output are drawn, "
            f"{dropped:,} more are folded into one box; pass {spelling['max_nodes']} to see "
            f"more.")
        count = max_nodes
    members: Dict[int, List[int]] = {}
    for i, a in enumerate(item_of):
        if a >= n:
            members.setdefault(a, []).append(i)
    folded_clusters = {a - n for a in members}
    # A cluster stays a box if something drawn lives in it and it is not folded itself.
    open_ = set()
    for i, a in enumerate(item_of):
        c = cluster_of[i] if 0 <= a < n else (clusters[a - n].parent if a >= n else -1)
        while c >= 0 and c not in open_:
            if c not in folded_clusters:
                open_.add(c)
            c = clusters[c].parent
    return (Plan(item_of, members, sorted(open_), level, dropped, note, count), clusters,
            cluster_of, names)
