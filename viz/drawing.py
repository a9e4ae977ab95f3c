"""`Drawing`: DOT text plus saving and Jupyter display. Rendering happens on demand.

It answers what notebooks do with micrograd's `draw_dot` result (a `graphviz.Digraph`):
`.source`, `.format`, `.pipe(format=...)` (the picture as bytes), `.render(filename)`
(graphviz's convention: the source goes to `filename`, the picture to `filename.<format>`)
and inline display. `.save(path)` is the simple way: the picture lands exactly at `path`.

>>> from autograd import Value
>>> import viz
>>> x = Value(2.0, label="x"); y = x * 3; y.backward()
>>> d = viz.draw(y)
>>> d.source.startswith("digraph glassgrad {"), d.format
(True, 'svg')
"""
from __future__ import annotations

import os
import webbrowser
from pathlib import Path
from typing import Any, Dict, Optional, Union

from . import render
from .pdf import json_to_pdf

FORMATS = ("svg", "png", "pdf", "dot", "gv")
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


def _format(format: str) -> str:
    fmt = format.lower().lstrip(".") if isinstance(format, str) else ""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {format!r}; use one of {', '.join(FORMATS)}")
    return "dot" if fmt == "gv" else fmt


class Drawing:
    """A drawn graph. `source` is the DOT text; `save()` writes .svg .png .pdf .dot .gv.

    `info` says what was drawn: graph node count, drawn items, copies of shared nodes,
    collapse level used, nodes cut off, and the note shown when the graph was too big to
    draw in full. `format` is what `render()` and `pipe()` produce by default.
    """

    __slots__ = ("source", "info", "format", "_svg")

    def __init__(self, source: str, info: Optional[Dict[str, Any]] = None,
                 format: str = "svg") -> None:
        self.source = source
        self.info = dict(info or {})
        self.format = _format(format)
        self._svg: Optional[str] = None

    def __repr__(self) -> str:
        i = self.info
        return (f"<Drawing: {i.get('nodes', '?')} graph nodes, {i.get('drawn', '?')} drawn"
                + (f", note: {i['note']}" if i.get("note") else "") + ">")

    def __str__(self) -> str:
        return self.source

    def pipe(self, format: Optional[str] = None, program: Optional[str] = None) -> bytes:
        """The picture as bytes: 'svg', 'png', 'pdf', or 'dot' (the source itself); default
        `self.format`. `program` picks a graphviz program (default: `find_renderer()`)."""
        fmt = self.format if format is None else _format(format)
        if fmt == "dot":
            return self.source.encode("utf-8")
        if fmt == "pdf":
            return _pdf(self.source, program)
        dpi = None
        if fmt == "png":
            dpi = PNG_DPI if self.info.get("drawn", 0) <= BIG else BIG_PNG_DPI
        return render.run(self.source, fmt, program, dpi)

    def render(self, filename: Union[str, "os.PathLike[str]", None] = None,
               directory: Union[str, "os.PathLike[str]", None] = None, view: bool = False,
               cleanup: bool = False, format: Optional[str] = None, *,
               outfile: Union[str, "os.PathLike[str]", None] = None,
               program: Optional[str] = None) -> str:
        """graphviz's `render`: the DOT source goes to `filename` (default 'Digraph.gv')
        and the picture to `filename.<format>`; returns the picture's path. `cleanup=True`
        deletes the source afterwards; `outfile='g.png'` names the picture instead (its
        extension gives the format, the source goes to 'g.gv'); `view=True` opens it.
        """
        if outfile is not None:
            out = Path(outfile)
            fmt = _format(format or _EXTENSIONS.get(out.suffix.lower(), "") or self.format)
            source = out.with_suffix(".gv") if filename is None else Path(filename)
            if directory is not None:
                out, source = Path(directory) / out, Path(directory) / source
        else:
            source = Path(directory or "") / (filename if filename is not None else "Digraph.gv")
            fmt = self.format if format is None else _format(format)
            out = source.with_name(f"{source.name}.{fmt}")
        data = self.pipe(fmt, program)
        source.parent.mkdir(parents=True, exist_ok=True)
        out.parent.mkdir(parents=True, exist_ok=True)
        source.write_text(self.source, encoding="utf-8")
        out.write_bytes(data)
        if cleanup and source != out:
            source.unlink()
        if view:
            webbrowser.open(out.resolve().as_uri())
        return os.fspath(out)

    @property
    def svg(self) -> str:
        """The rendered SVG text (cached)."""
        if self._svg is None:
            self._svg = self.pipe("svg").decode("utf-8")
        return self._svg

    def save(self, path: Union[str, "os.PathLike[str]"], format: Optional[str] = None) -> Path:
        """Write the drawing; the format comes from `format` or the file extension.

        Unlike `graphviz.Source.render`, the picture lands exactly at `path` (no extra
        source file, no second extension). Missing folders are created.
        """
        path = Path(path)
        fmt = format or _EXTENSIONS.get(path.suffix.lower(), "")
        if not fmt:
            raise ValueError(f"cannot tell the format of {str(path)!r}: use an extension "
                             f"(.svg .png .pdf .dot .gv) or pass format=")
        fmt = _format(fmt)
        data = self.svg.encode("utf-8") if fmt == "svg" else self.pipe(fmt)
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
