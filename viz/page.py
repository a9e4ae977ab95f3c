"""The pages viz writes (backward steps, explorer, film): one offline HTML file each.

Every page is a *widget* (a `<div>` holding its SVG, its data as JSON and its script) that
works the same inline in Jupyter and as a whole page. The JavaScript lives in real `.js`
files under `viz/web/` (so it can be linted and tested on its own) and is inlined here,
wrapped in one function per widget: two widgets on one notebook page share nothing.

>>> "function framePainter" in script(["frames.js"], mount("stepsPage", "w1"))
True
>>> payload({"a": "</script>"})
'{"a":"<\\\\/script>"}'
"""
from __future__ import annotations

import functools
import html as _html
import json
import uuid
from pathlib import Path
from typing import Any, Optional, Sequence, Union

WEB = Path(__file__).with_name("web")


@functools.lru_cache(maxsize=None)
def asset(name: str) -> str:
    """The text of `viz/web/<name>` (a script or a style sheet)."""
    text = (WEB / name).read_text(encoding="utf-8")
    if "</script" in text.lower() or "</style" in text.lower():
        raise ValueError(f"viz/web/{name} would end its <script>/<style> element early")
    return text


def script(files: Sequence[str], start: str) -> str:
    """The files' code and `start` (which uses it) inside one function: nothing global."""
    return "(function(){\n" + "\n".join(asset(f) for f in files) + "\n" + start + "\n})();"


def mount(function: str, element_id: str) -> str:
    """The call that starts a widget's script on its element. A notebook may run the
    script before it attaches the output to the page: then it tries again shortly."""
    return ("(function start(tries){var root=document.getElementById(" + json.dumps(element_id)
            + ");if(root){" + function + "(root);}else if(tries<100){setTimeout(function(){"
            "start(tries+1);},30);}})(0);")


def payload(data: Any) -> str:
    """`data` as JSON that is safe inside a `<script>` element."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


def data_element(data: Any) -> str:
    return f'<script type="application/json" class="gg-data">{payload(data)}</script>'


def json_number(x: float) -> Any:
    """A float for JSON: NaN and ±inf as the strings 'nan', 'inf', '-inf'."""
    return x if x == x and abs(x) != float("inf") else str(x)


def document(title: str, style: str, body: str, widget_id: str) -> str:
    """A complete page around one widget; `window.glassgrad` is the widget's API."""
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{_html.escape(title)}</title><style>body{{margin:12px}}\n{style}"
            f"</style></head><body>\n<h3>{_html.escape(title)}</h3>\n{body}\n"
            f"<script>window.glassgrad=document.getElementById(\"{widget_id}\")"
            ".glassgrad;</script>\n</body></html>\n")


def write(path: Union[str, Path], text: str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


class Page:
    """A widget that is also a page: subclasses give `widget(element_id)`, `STYLE` (the
    style sheet's file names), `KIND` (used in element ids) and `TITLE`."""

    __slots__ = ()
    STYLE: Sequence[str] = ()
    KIND = "page"
    TITLE = "glassgrad"

    def widget(self, element_id: str) -> str:  # pragma: no cover - every page defines it
        raise NotImplementedError

    def style(self) -> str:
        return "\n".join(asset(name) for name in self.STYLE)

    def html(self, title: Optional[str] = None) -> str:
        """A complete, self-contained HTML page (no network); its script sets
        `window.glassgrad`."""
        element_id = f"glassgrad-{self.KIND}"
        return document(title or self.TITLE, self.style(), self.widget(element_id),
                        element_id)

    def _repr_html_(self) -> str:
        # A fresh id per display: outputs of earlier runs stay on a notebook page.
        return (f"<style>{self.style()}</style>"
                + self.widget(f"glassgrad-{self.KIND}-{uuid.uuid4().hex[:12]}"))

    def save_page(self, path: Union[str, Path]) -> Path:
        return write(path, self.html())


def html_path(path: Union[str, Path], who: str) -> Path:
    """`path` if it names an .html file, else a clear error."""
    path = Path(path)
    if path.suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"{who}: the page is HTML; give a path ending in .html, got "
                         f"{str(path)!r}")
    return path
