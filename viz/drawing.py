"""`Drawing`: DOT text plus saving and Jupyter display. Rendering happens on demand.

>>> from autograd import Value
>>> import viz
>>> d = viz.draw(Value(2.0, label="x") * 3)
>>> d.source.startswith("digraph glassgrad {")
True
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, Optional, Union

from . import render
from .pdf import json_to_pdf

_EXTENSIONS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot"}
PNG_DPI = 144     # sharp on screens and in slides; graphviz's default 96 looks blurry
BIG_PNG_DPI = 96  # over BIG items a 144-dpi PNG runs to tens of megapixels
BIG = 150


def _pdf(source: str, program: Optional[str]) -> bytes:
    program = program or render.find_renderer()
    if not render.is_graphviz_pure(program):
        try:
            return render.run(source, "pdf", program)
        except render.RenderError as err:
            if "not recognized" not in str(err) and "Format" not in str(err):
                raise             # a real failure, not a dot built without PDF support
    return json_to_pdf(render.run(source, "json", program))


class Drawing:
    """A drawn graph. `source` is the DOT text; `save()` writes .svg .png .pdf .dot .gv.

    `info` says what was drawn: graph node count, drawn items, collapse level used, nodes
    cut off, and the note shown when the graph was too big to draw in full.
    """

    __slots__ = ("source", "info", "_svg")

    def __init__(self, source: str, info: Optional[Dict[str, Any]] = None) -> None:
        self.source = source
        self.info = dict(info or {})
        self._svg: Optional[str] = None

    def __repr__(self) -> str:
        i = self.info
        return (f"<Drawing: {i.get('nodes', '?')} graph nodes, {i.get('drawn', '?')} drawn"
                + (f", note: {i['note']}" if i.get("note") else "") + ">")

    def __str__(self) -> str:
        return self.source

    def render(self, format: str = "svg", program: Optional[str] = None) -> bytes:
        """The picture as bytes: 'svg', 'png', 'pdf', or 'dot' (the source itself)."""
        fmt = format.lower().lstrip(".")
        if fmt in ("dot", "gv"):
            return self.source.encode("utf-8")
        if fmt == "pdf":
            return _pdf(self.source, program)
        if fmt not in ("svg", "png"):
            raise ValueError(f"unknown format {format!r}; use one of svg, png, pdf, dot, gv")
        dpi = None
        if fmt == "png":
            dpi = PNG_DPI if self.info.get("drawn", 0) <= BIG else BIG_PNG_DPI
        return render.run(self.source, fmt, program, dpi)

    @property
    def svg(self) -> str:
        """The rendered SVG text (cached)."""
        if self._svg is None:
            self._svg = self.render("svg").decode("utf-8")
        return self._svg

    def save(self, path: Union[str, "os.PathLike[str]"], format: Optional[str] = None) -> Path:
        """Write the drawing; the format comes from `format` or the file extension.

        Unlike `graphviz.Source.render`, the picture lands exactly at `path` (no extra
        source file, no second extension). Missing folders are created.
        """
        path = Path(path)
        fmt = (format or _EXTENSIONS.get(path.suffix.lower(), "")).lower().lstrip(".")
        if not fmt:
            raise ValueError(f"cannot tell the format of {str(path)!r}: use an extension "
                             f"(.svg .png .pdf .dot .gv) or pass format=")
        data = self.svg.encode("utf-8") if fmt == "svg" else self.render(fmt)
        if path.parent and not path.parent.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    # ---- Jupyter ----
    def _repr_svg_(self) -> str:
        return self.svg

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Dict[str, str]:
        try:
            return {"image/svg+xml": self.svg, "text/plain": repr(self)}
        except (render.RendererNotFound, render.RenderError) as err:
            # Show why there is no picture instead of a traceback in the notebook.
            return {"text/plain": f"{self!r}\n{err}"}
