"""Rendering: graphviz-pure (always), system dot (when installed), saving, PDF, Jupyter."""
from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

import pytest

import viz
from autograd import Value
from viz import render
from viz.pdf import json_to_pdf
from viz_support import graphviz_pure, neuron

SVG = "{http://www.w3.org/2000/svg}"


def svg_texts(svg: bytes) -> list:
    root = ET.fromstring(svg)
    return ["".join(t.itertext()).strip() for t in root.iter(f"{SVG}text")]


# ---- rendered SVG shows values, gradients and edge labels -----------------------------------

@pytest.mark.parametrize("program", ["graphviz-pure", "dot"])
def test_rendered_svg_shows_values_gradients_and_edge_labels(program):
    exe = graphviz_pure() if program == "graphviz-pure" else shutil.which("dot")
    if exe is None:
        pytest.skip("system graphviz `dot` is not installed")
    svg = viz.draw(neuron(backward=True)).pipe("svg", program=exe)
    texts = svg_texts(svg)
    for expected in ("x1", "w1", "o", "2.0000", "-3.0000", "0.7071", "6.8814",
                     "-1.5000", "0.5000", "1.0000", "∂ -3", "∂ 2", "∂ 0.5", "tanh", "×"):
        assert expected in texts, expected
    assert texts.count("grad") == 10 and texts.count("data") == 10


def test_render_is_deterministic_with_graphviz_pure():
    exe = graphviz_pure()
    d = viz.draw(neuron(backward=True))
    assert d.pipe("svg", program=exe) == d.pipe("svg", program=exe)


def test_png_and_dpi():
    png = viz.draw(neuron(backward=True)).pipe("png", program=graphviz_pure())
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(png[16:20], "big")
    assert width > 1000            # 144 dpi: sharp enough to read


# ---- save -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name,magic", [("g.svg", b"<?xml"), ("g.png", b"\x89PNG"),
                                        ("g.pdf", b"%PDF-"), ("g.dot", b"digraph"),
                                        ("g.gv", b"digraph")])
def test_save_picks_the_format_from_the_extension(tmp_path, name, magic):
    graphviz_pure()
    path = viz.draw(neuron(backward=True)).save(tmp_path / "sub" / name)
    assert path == tmp_path / "sub" / name
    assert path.read_bytes().startswith(magic)
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == [name]   # nothing else


def test_save_format_argument_wins(tmp_path):
    graphviz_pure()
    path = viz.draw(neuron(backward=True)).save(tmp_path / "picture", format="svg")
    assert path.read_bytes().startswith(b"<?xml")
    with pytest.raises(ValueError, match="cannot tell the format"):
        viz.draw(neuron(backward=True)).save(tmp_path / "picture.xyz")
    with pytest.raises(ValueError, match="unknown format 'bmp'"):
        viz.draw(neuron(backward=True)).save(tmp_path / "p.svg", format="bmp")


def test_dot_saving_needs_no_renderer(tmp_path, monkeypatch):
    monkeypatch.setenv("GLASSGRAD_DOT", "no-such-graphviz-program")
    d = viz.draw(neuron(backward=True))
    assert d.save(tmp_path / "g.dot").read_text(encoding="utf-8") == d.source


# ---- renderer discovery and errors -----------------------------------------------------------

def test_no_renderer_error_names_both(monkeypatch, tmp_path):
    monkeypatch.delenv("GLASSGRAD_DOT", raising=False)
    monkeypatch.setattr(render.shutil, "which", lambda name: None)
    monkeypatch.setattr(render.sys, "executable", str(tmp_path / "python"))
    with pytest.raises(viz.RendererNotFound) as err:
        viz.draw(neuron(backward=True)).pipe("svg")
    message = str(err.value)
    assert "`dot`" in message and "graphviz-pure" in message and "pip install" in message
    # Jupyter gets the reason as text instead of a traceback.
    bundle = viz.draw(neuron(backward=True))._repr_mimebundle_()
    assert list(bundle) == ["text/plain"] and "graphviz-pure" in bundle["text/plain"]


def test_renderer_found_next_to_python(monkeypatch):
    exe = Path(graphviz_pure())
    monkeypatch.delenv("GLASSGRAD_DOT", raising=False)
    monkeypatch.setattr(render.shutil, "which", lambda name: None)
    monkeypatch.setattr(render.sys, "executable", str(exe.parent / "python"))
    assert render.find_renderer() == str(exe)


def test_system_dot_preferred(monkeypatch):
    monkeypatch.delenv("GLASSGRAD_DOT", raising=False)
    monkeypatch.setattr(render.shutil, "which",
                        lambda name: "/usr/bin/dot" if name == "dot" else None)
    assert render.find_renderer() == "/usr/bin/dot"


def test_glassgrad_dot_environment_variable(monkeypatch):
    exe = graphviz_pure()
    monkeypatch.setenv("GLASSGRAD_DOT", exe)
    assert render.find_renderer() == exe
    monkeypatch.setenv("GLASSGRAD_DOT", "surely-not-a-program-xyz")
    with pytest.raises(viz.RendererNotFound, match="GLASSGRAD_DOT"):
        render.find_renderer()


def test_render_failure_shows_graphviz_stderr():
    exe = graphviz_pure()
    with pytest.raises(viz.RenderError, match=r"(?s)failed \(exit 1\).*syntax error"):
        render.run("digraph { a -> }", "svg", exe)


def test_missing_program_path_is_reported():
    with pytest.raises(viz.RendererNotFound, match="cannot run"):
        render.run("digraph { a }", "svg", "/nonexistent/graphviz-pure")


# ---- escaping survives graphviz ---------------------------------------------------------------

def test_special_characters_render(tmp_path):
    exe = graphviz_pure()
    label = 'a | {b} <c> & "d" \\N é∂ω'
    x = Value(1.0, label=label)
    y = x * 2
    y.label = "y"
    y.backward()
    svg = viz.draw(y, title="t <&>").pipe("svg", program=exe)
    texts = [t.replace("\u200b", "") for t in svg_texts(svg)]   # zero-width space after \\
    assert label in texts and "t <&>" in texts


# ---- PDF ---------------------------------------------------------------------------------------

def _check_pdf_structure(pdf: bytes) -> bytes:
    """Every xref offset points at its object; returns the decompressed page content."""
    assert pdf.startswith(b"%PDF-1.4\n") and pdf.rstrip().endswith(b"%%EOF")
    startxref = int(re.search(rb"startxref\n(\d+)\n%%EOF", pdf).group(1))
    assert pdf[startxref:startxref + 4] == b"xref"
    header = re.match(rb"xref\n0 (\d+)\n", pdf[startxref:])
    count = int(header.group(1))
    table = pdf[startxref + header.end():].split(b"\n")[:count]
    assert table[0] == b"0000000000 65535 f "
    for number, line in enumerate(table[1:], start=1):
        offset = int(line[:10])
        assert pdf[offset:].startswith(b"%d 0 obj\n" % number)
    assert re.search(rb"trailer\n<< /Size %d /Root 1 0 R" % count, pdf)
    m = re.search(rb"/Length (\d+) /Filter /FlateDecode >>\nstream\n", pdf)
    length = int(m.group(1))
    stream = pdf[m.end():m.end() + length]
    assert pdf[m.end() + length:].startswith(b"\nendstream")
    return zlib.decompress(stream)


def test_pdf_without_system_graphviz_is_a_valid_vector_pdf():
    exe = graphviz_pure()
    pdf = viz.draw(neuron(backward=True), title="neuron").pipe("pdf", program=exe)
    content = _check_pdf_structure(pdf)
    for text in (b"(x1) Tj", b"(-3.0000) Tj", b"(neuron) Tj", b"(tanh) Tj", b"(0.7071) Tj"):
        assert text in content, text
    assert b"/BaseFont /Helvetica" in pdf and b"/BaseFont /Symbol" in pdf   # for ∂
    assert b" c\n" in content or b" c" in content                          # Bézier curves
    width, height = map(float, re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf).groups())
    assert 300 < width < 2000 and 100 < height < 1500


def test_pdf_opens_in_a_pdf_reader(tmp_path):
    graphviz_pure()
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    path = viz.draw(neuron(backward=True)).save(tmp_path / "g.pdf")
    done = subprocess.run(["pdftoppm", "-r", "30", "-png", str(path), str(tmp_path / "page")],
                          capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr == b""                       # no syntax warnings either
    page = next(tmp_path.glob("page*.png"))
    assert page.read_bytes()[:4] == b"\x89PNG"


def test_pdf_writer_handles_every_drawing_op():
    doc = {"bb": "0,0,100,50", "_draw_": [
        {"op": "S", "style": "setlinewidth(2)"}, {"op": "S", "style": "dashed"},
        {"op": "c", "grad": "none", "color": "#ff000080"},
        {"op": "C", "grad": "none", "color": "#00ff00"},
        {"op": "P", "points": [[0, 0], [10, 0], [10, 10]]},
        {"op": "p", "points": [[0, 0], [10, 0], [10, 10]]},
        {"op": "L", "points": [[0, 0], [5, 5]]},
        {"op": "b", "points": [[0, 0], [1, 1], [2, 2], [3, 3]]},
        {"op": "E", "rect": [50, 25, 10, 5]}, {"op": "e", "rect": [50, 25, 10, 5]},
        {"op": "c", "grad": "none", "color": "#00000000"},       # transparent pen
        {"op": "p", "points": [[0, 0], [1, 1]]},
        {"op": "c", "grad": "none", "color": "black"},
        {"op": "F", "size": 10, "face": "Courier"}, {"op": "t", "fontchar": 3},
        {"op": "T", "pt": [50, 10], "align": "c", "width": 20, "text": "a(b)\\ ∂x ₁ 中"},
        {"op": "S", "style": "invis"}, {"op": "E", "rect": [1, 1, 1, 1]},
    ]}
    content = _check_pdf_structure(json_to_pdf(doc))
    assert b"2 w" in content and b"[5 2] 0 d" in content
    assert b"(a\\(b\\)\\\\ ) Tj" in content                     # escaped PDF string
    assert b"/BaseFont /Courier-BoldOblique" in json_to_pdf(doc)
    assert b"(x 1 ?) Tj" in content                              # subscript -> 1, CJK -> ?
    assert content.count(b"\nB\n") + content.endswith(b"B") >= 1


def test_pdf_prefers_system_dot_when_it_can(monkeypatch):
    calls = []

    def fake_run(source, fmt, program=None, dpi=None, timeout=None):
        calls.append((fmt, program))
        if fmt == "pdf":
            raise render.RenderError('dot -Tpdf failed (exit 1):\nFormat: "pdf" not recognized')
        return b'{"bb": "0,0,10,10"}'

    monkeypatch.setattr(render, "run", fake_run)
    pdf = viz.draw(neuron(backward=True)).pipe("pdf", program="/usr/bin/dot")
    assert calls == [("pdf", "/usr/bin/dot"), ("json", "/usr/bin/dot")]
    assert pdf.startswith(b"%PDF")
    calls.clear()
    viz.draw(neuron(backward=True)).pipe("pdf", program="/x/graphviz-pure")
    assert calls == [("json", "/x/graphviz-pure")]


# ---- Jupyter -------------------------------------------------------------------------------------

def test_jupyter_display():
    graphviz_pure()
    d = viz.draw(neuron(backward=True))
    svg = d._repr_svg_()
    assert "<svg" in svg and "0.7071" in svg
    bundle = d._repr_mimebundle_()
    assert bundle["image/svg+xml"] == svg and bundle["text/plain"].startswith("<Drawing: ")
    assert "10 graph nodes" in repr(d)
    assert str(d) == d.source


# ---- the time budget and progress -----------------------------------------------------------

def slow_renderer(tmp_path, seconds: float) -> str:
    """A stand-in graphviz program that takes `seconds`, then prints a tiny SVG."""
    import sys
    script = tmp_path / "slow-graphviz"
    script.write_text(f"#!{sys.executable}\nimport sys, time\nsys.stdin.read()\n"
                      f"time.sleep({seconds})\nsys.stdout.write('<svg/>')\n")
    script.chmod(0o755)
    return str(script)


def test_a_render_past_its_budget_is_stopped_with_advice(tmp_path, monkeypatch):
    import time
    program = slow_renderer(tmp_path, 30)
    monkeypatch.setenv("GLASSGRAD_RENDER_BUDGET", "0.5")
    started = time.monotonic()
    with pytest.raises(viz.RenderTimeout) as err:
        viz.draw(neuron(backward=True)).pipe("svg", program=program)
    assert time.monotonic() - started < 10                 # stopped, not waited for
    message = str(err.value)
    assert "\n" not in message and "slow-graphviz took more than 0.5 s" in message
    assert "max_nodes=" in message and "collapse=" in message
    assert "GLASSGRAD_RENDER_BUDGET" in message
    assert (err.value.program, err.value.seconds) == ("slow-graphviz", 0.5)
    assert isinstance(err.value, viz.RenderError)


def test_budget_setting(monkeypatch):
    monkeypatch.delenv("GLASSGRAD_RENDER_BUDGET", raising=False)
    assert render.budget() == render.BUDGET == 10.0
    monkeypatch.setenv("GLASSGRAD_RENDER_BUDGET", "2.5")
    assert render.budget() == 2.5
    for bad in ("soon", "0", "-1", "nan"):
        monkeypatch.setenv("GLASSGRAD_RENDER_BUDGET", bad)
        with pytest.raises(ValueError, match="GLASSGRAD_RENDER_BUDGET"):
            render.budget()


def test_progress_reports_while_a_render_waits(tmp_path):
    program = slow_renderer(tmp_path, 0.6)
    seen = []
    with render.progress(seen.append):
        assert render.run("digraph { a }", "svg", program) == b"<svg/>"
    assert len(seen) >= 3 and seen == sorted(seen) and seen[-1] < 5
    seen.clear()
    render.run("digraph { a }", "svg", program)            # outside: nobody is told
    assert seen == []
