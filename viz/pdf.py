"""PDF without a PDF library: replay graphviz's drawing operations into a PDF page.

graphviz-pure cannot write PDF, but it can lay a graph out and list every drawing
operation (`-Tjson`: polygons, Bézier curves, ellipses, text with font and colour). A PDF
page is a list of the same operations, so the result is a crisp vector PDF, not a bitmap.
Text uses the PDF standard fonts (Helvetica, Times, Courier, Symbol), which every viewer
has, so nothing is embedded; Helvetica has the metrics of Arimo, the font graphviz-pure
lays text out with, so text fits its boxes. Characters outside the standard encodings
come from the Symbol font (∂ − Σ σ √ ...) or are approximated ('?' as a last resort).

>>> pdf = json_to_pdf({"bb": "0,0,10,10", "_draw_": [
...     {"op": "c", "grad": "none", "color": "#ff0000"}, {"op": "L", "points": [[0, 0], [9, 9]]}]})
>>> pdf[:8], pdf.rstrip().endswith(b"%%EOF")
(b'%PDF-1.4', True)
"""
from __future__ import annotations

import json
import zlib
from typing import Any, Dict, Iterable, List, Tuple

PAD = 4.0          # points around the drawing, as graphviz's SVG has
_KAPPA = 0.5522847498307936   # Bézier control distance for a quarter ellipse

_FAMILIES = {
    "Helvetica": ("Helvetica", "Helvetica-Bold", "Helvetica-Oblique", "Helvetica-BoldOblique"),
    "Times": ("Times-Roman", "Times-Bold", "Times-Italic", "Times-BoldItalic"),
    "Courier": ("Courier", "Courier-Bold", "Courier-Oblique", "Courier-BoldOblique"),
}

# Unicode -> code in the Symbol font, for characters WinAnsi (cp1252) does not have.
_SYMBOL = {
    "−": 0x2D, "∂": 0xB6, "Σ": 0x53, "σ": 0x73, "√": 0xD6, "Φ": 0x46, "∞": 0xA5, "→": 0xAE,
    "←": 0xAC, "≤": 0xA3, "≥": 0xB3, "≈": 0xBB, "≠": 0xB9, "∇": 0xD1, "Δ": 0x44, "λ": 0x6C,
    "α": 0x61, "β": 0x62, "γ": 0x67, "δ": 0x64, "ε": 0x65, "θ": 0x71, "π": 0x70, "τ": 0x74,
    "φ": 0x66, "ω": 0x77, "η": 0x68, "ρ": 0x72, "∑": 0xE5, "∏": 0xD5, "∫": 0xF2, "⋅": 0xD7,
    "∘": 0xB0, "∈": 0xCE, "∀": 0x22, "∃": 0x24, "│": 0xBD, "‖": 0xBD,
}
_ASCII = {"₀": "0", "₁": "1", "₂": "2", "₃": "3", "₄": "4", "₅": "5", "₆": "6", "₇": "7",
          "₈": "8", "₉": "9", "⁰": "0", "⁴": "4", "⁵": "5", "⁶": "6", "⁷": "7", "⁸": "8",
          "⁹": "9", "⚠": "!", "⋯": "...", "▸": ">", "“": '"', "”": '"'}

_NAMED = {"black": (0, 0, 0), "white": (1, 1, 1), "gray": (0.75, 0.75, 0.75),
          "grey": (0.75, 0.75, 0.75), "red": (1, 0, 0), "green": (0, 1, 0), "blue": (0, 0, 1),
          "lightgrey": (0.83, 0.83, 0.83), "lightgray": (0.83, 0.83, 0.83)}


def _color(spec: str) -> Any:
    """(r, g, b) in 0..1, or None for a transparent colour."""
    spec = (spec or "").strip().lower()
    if spec in ("", "none", "transparent", "invis"):
        return None
    if spec.startswith("#") and len(spec) in (7, 9):
        if len(spec) == 9 and spec[7:9] == "00":
            return None
        return tuple(int(spec[k:k + 2], 16) / 255 for k in (1, 3, 5))
    return _NAMED.get(spec, (0, 0, 0))


def _num(x: float) -> str:
    s = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def _pdf_string(raw: bytes) -> bytes:
    out = bytearray(b"(")
    for b in raw:
        if b in (0x28, 0x29, 0x5C):
            out += b"\\" + bytes([b])
        elif 32 <= b < 127:
            out.append(b)
        else:
            out += b"\\%03o" % b
    return bytes(out + b")")


def _runs(text: str) -> List[Tuple[bool, bytes]]:
    """Split text into (uses Symbol font, encoded bytes) runs."""
    runs: List[Tuple[bool, bytearray]] = []
    for ch in text:
        ch = _ASCII.get(ch, ch)
        symbol = False
        try:
            code = ch.encode("cp1252")
        except UnicodeEncodeError:
            if ch in _SYMBOL:
                symbol, code = True, bytes([_SYMBOL[ch]])
            else:
                code = b"?"
        if runs and runs[-1][0] == symbol:
            runs[-1][1].extend(code)
        else:
            runs.append((symbol, bytearray(code)))
    return [(s, bytes(b)) for s, b in runs]


class _Page:
    def __init__(self) -> None:
        self.ops: List[str] = []
        self.fonts: Dict[str, str] = {}     # base font -> resource name

    def font(self, base: str) -> str:
        if base not in self.fonts:
            self.fonts[base] = f"F{len(self.fonts) + 1}"
        return self.fonts[base]

    def replay(self, ops: Iterable[dict]) -> None:
        pen: Any = (0, 0, 0)
        fill: Any = (0, 0, 0)
        width, dash, invisible = 1.0, "[] 0 d", False
        face, size, flags = "Times", 14.0, 0
        out = self.ops
        out.append("1 w [] 0 d")
        for op in ops:
            kind = op.get("op")
            if kind == "c":
                pen = _color(op.get("color", ""))
                if pen is not None:
                    out.append("%s %s %s RG" % tuple(map(_num, pen)))
            elif kind == "C":
                fill = _color(op.get("color", ""))
                if fill is not None:
                    out.append("%s %s %s rg" % tuple(map(_num, fill)))
            elif kind == "S":
                style = op.get("style", "")
                if style.startswith("setlinewidth("):
                    width = float(style[13:-1] or 1)
                    out.append(f"{_num(width)} w")
                elif style in ("dashed", "dotted", "solid"):
                    dash = {"dashed": "[5 2] 0 d", "dotted": "[1 2] 0 d", "solid": "[] 0 d"}[style]
                    out.append(dash)
                elif style == "bold":
                    out.append("2 w")
                elif style in ("invis", "invisible"):
                    invisible = True
            elif kind == "F":
                size = float(op.get("size", 14))
                face = op.get("face", "Times")
            elif kind == "t":
                flags = int(op.get("fontchar", 0))
            elif invisible:
                continue
            elif kind in ("P", "p", "L", "B", "b"):
                pts = op.get("points") or []
                if not pts:
                    continue
                path = [f"{_num(pts[0][0])} {_num(pts[0][1])} m"]
                if kind in ("B", "b"):
                    for k in range(1, len(pts) - 2, 3):
                        path.append(" ".join(_num(v) for p in pts[k:k + 3] for v in p) + " c")
                else:
                    path.extend(f"{_num(x)} {_num(y)} l" for x, y in pts[1:])
                closed = kind in ("P", "p", "b")
                self._paint(path, closed, kind in ("P", "b"), pen, fill)
            elif kind in ("E", "e"):
                cx, cy, rx, ry = op["rect"]
                kx, ky = rx * _KAPPA, ry * _KAPPA
                path = [f"{_num(cx + rx)} {_num(cy)} m"]
                for (x1, y1, x2, y2, x3, y3) in (
                        (cx + rx, cy + ky, cx + kx, cy + ry, cx, cy + ry),
                        (cx - kx, cy + ry, cx - rx, cy + ky, cx - rx, cy),
                        (cx - rx, cy - ky, cx - kx, cy - ry, cx, cy - ry),
                        (cx + kx, cy - ry, cx + rx, cy - ky, cx + rx, cy)):
                    path.append(" ".join(map(_num, (x1, y1, x2, y2, x3, y3))) + " c")
                self._paint(path, True, kind == "E", pen, fill)
            elif kind == "T" and pen is not None:
                self._text(op, face, size, flags, pen)

    def _paint(self, path: List[str], closed: bool, filled: bool, pen: Any, fill: Any) -> None:
        # graphviz's filled shapes are filled and outlined; a transparent colour paints nothing.
        do_fill = filled and fill is not None
        do_stroke = pen is not None
        if not (do_fill or do_stroke):
            return
        if closed:
            path.append("h")
        self.ops.append("\n".join(path))
        self.ops.append("B" if do_fill and do_stroke else "f" if do_fill else "S")

    def _text(self, op: dict, face: str, size: float, flags: int, pen: Any) -> None:
        text = op.get("text", "")
        if not text:
            return
        lower = face.lower()
        family = ("Courier" if "courier" in lower or "mono" in lower else
                  "Helvetica" if any(k in lower for k in ("helvetica", "arial", "sans", "arimo"))
                  else "Times")
        bold = bool(flags & 1) or "bold" in lower
        italic = bool(flags & 2) or "italic" in lower or "oblique" in lower
        base = _FAMILIES[family][bold + 2 * italic]
        x, y = op["pt"]
        w = float(op.get("width", 0))
        x -= {"c": w / 2, "r": w}.get(op.get("align", "l"), 0.0)
        parts = [f"BT {'%s %s %s rg' % tuple(map(_num, pen))} {_num(x)} {_num(y)} Td"]
        for symbol, raw in _runs(text):
            name = self.font("Symbol" if symbol else base)
            parts.append(f"/{name} {_num(size)} Tf " + _pdf_string(raw).decode("latin-1") + " Tj")
        parts.append("ET")
        self.ops.append(" ".join(parts))


def _objects_in_order(doc: dict) -> Iterable[List[dict]]:
    """Drawing op lists: graph, clusters, edges, then nodes (so nodes sit on top)."""
    keys = ("_draw_", "_ldraw_")
    edge_keys = ("_draw_", "_hdraw_", "_tdraw_", "_ldraw_", "_hldraw_", "_tldraw_", "_xldraw_")
    for k in keys:
        if doc.get(k):
            yield doc[k]
    objects = doc.get("objects") or []
    clusters = [o for o in objects if "nodes" in o or str(o.get("name", "")).startswith("cluster")]
    nodes = [o for o in objects if o not in clusters]
    for o in clusters:
        for k in keys:
            if o.get(k):
                yield o[k]
    for e in doc.get("edges") or []:
        for k in edge_keys:
            if e.get(k):
                yield e[k]
    for o in nodes:
        for k in keys:
            if o.get(k):
                yield o[k]


def json_to_pdf(doc: Any) -> bytes:
    """A one-page PDF of a graphviz `-Tjson` layout (a dict or its JSON text)."""
    if isinstance(doc, (bytes, str)):
        doc = json.loads(doc)
    llx, lly, urx, ury = (float(v) for v in str(doc.get("bb", "0,0,0,0")).split(","))
    page = _Page()
    page.ops.append(f"1 0 0 1 {_num(PAD - llx)} {_num(PAD - lly)} cm 1 j 1 J")
    for ops in _objects_in_order(doc):
        page.ops.append("q")
        page.replay(ops)
        page.ops.append("Q")
    content = zlib.compress("\n".join(page.ops).encode("latin-1"), 9)
    width, height = urx - llx + 2 * PAD, ury - lly + 2 * PAD

    font_ids = {name: 5 + k for k, name in enumerate(page.fonts)}
    fonts = " ".join(f"/{res} {font_ids[base]} 0 R" for base, res in page.fonts.items())
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {_num(width)} {_num(height)}] "
         f"/Resources << /Font << {fonts} >> >> /Contents 4 0 R >>").encode("ascii"),
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content
        + b"\nendstream",
    ]
    for base in page.fonts:
        encoding = "" if base == "Symbol" else " /Encoding /WinAnsiEncoding"
        objects.append(f"<< /Type /Font /Subtype /Type1 /BaseFont /{base}{encoding} >>"
                       .encode("ascii"))
    objects.append(b"<< /Producer (glassgrad viz) >>")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += (b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(objects) + 1, len(objects), xref))
    return bytes(out)
