"""The teaching notebooks: each runs top to bottom in this environment's own kernel, fast;
its committed outputs are exactly what a fresh run prints (so a notebook is never stale);
every number its prose quotes is printed or asserted by one of its cells; and it reads
well (learning goals first, exercises and solutions last, public API only, listed in
notebooks/README.md).

To refresh the committed outputs after a change (the same execution as the test):

    GLASSGRAD_REFRESH_NOTEBOOKS=1 .venv/bin/python -m pytest tests/test_notebooks.py -k fresh

What counts as "the same output" is defined by `digest` below and documented in
notebooks/README.md ("How the notebooks stay exact").
"""
import base64
import copy
import html
import io
import json
import os
import re
import struct
import sys
import time
import tokenize
from pathlib import Path

import pytest

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
README = NOTEBOOK_DIR / "README.md"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
FIRST_SIX = ["01_chain_rule_and_graphs", "02_gradient_descent", "03_training_an_mlp",
             "04_vanishing_and_exploding", "05_overfitting", "06_losses_for_returns"]
BUDGET = 60.0          # seconds per notebook, kernel start included
REFRESH = os.environ.get("GLASSGRAD_REFRESH_NOTEBOOKS") == "1"
HIDDEN_TAGS = {"check", "solution"}   # collapsed in Jupyter (metadata.jupyter.source_hidden)
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


def _read(path):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _text(value):
    return value if isinstance(value, str) else "".join(value)


def _tags(cell):
    return set(cell.get("metadata", {}).get("tags", []))


def listed_in_readme():
    """Notebook names linked from the table in notebooks/README.md, in order."""
    return re.findall(r"^\| \[(\d\d_\w+)\.ipynb\]", README.read_text(encoding="utf-8"), re.M)


# ================================================================ what "the same output" means
#
# Compared: every code cell's outputs, in order, after this normalisation and nothing else:
# - execution counts and all metadata are ignored; consecutive chunks of one stream are
#   joined (the kernel may flush one print in several pieces);
# - in text: a memory address (0x7f3a...) and a duration (a number followed by ns, µs, us,
#   ms, s or min, with the spaces that pad it to a column) are masked;
# - in a cell tagged `timing` (it prints measured times and numbers derived from them only):
#   every number in its text is masked, runs of spaces count as one, and its images are
#   compared by pixel size;
# - an SVG drawing (viz) is compared by the multiset of its texts and fill colours: the
#   values, gradients, labels and colour of every node, not the layout coordinates, which
#   differ between graphviz's `dot` and `graphviz-pure`;
# - a PNG figure (matplotlib) is compared by pixel size, and pixel by pixel when the
#   committed notebook was made with the same matplotlib and FreeType as this run (at most
#   PIXEL_SLACK of the pixels may differ, for rounding in anti-aliasing).

ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{4,}\b")
DURATION = re.compile(r"[ \t]*(?<![\w.])\d+(?:\.\d+)?(?:e[-+]?\d+)?\s?(?:ns|µs|us|ms|s|min)\b")
NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
PIXEL_SLACK = 2e-4


def normalise_text(text, timing=False):
    text = ADDRESS.sub("0x…", text)
    text = DURATION.sub(" <duration>", text)
    return re.sub(r"[ \t]+", " ", NUMBER.sub("<n>", text)) if timing else text


def svg_digest(svg):
    texts = [html.unescape(re.sub(r"<[^>]+>", "", t))
             for t in re.findall(r"<text\b[^>]*>(.*?)</text>", svg, re.S)]
    fills = re.findall(r'fill="(#[0-9a-fA-F]{6})"', svg)
    return {"texts": sorted(texts), "fills": sorted(fills)}


def png_size(b64):
    data = base64.b64decode(b64)
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def png_pixels(b64):
    from matplotlib import image
    return image.imread(io.BytesIO(base64.b64decode(b64)), format="png")


def _outputs(cell):
    """The cell's outputs with consecutive chunks of the same stream joined."""
    merged = []
    for out in cell.get("outputs", []):
        if (out["output_type"] == "stream" and merged and merged[-1]["output_type"] == "stream"
                and merged[-1]["name"] == out["name"]):
            merged[-1] = dict(merged[-1], text=_text(merged[-1]["text"]) + _text(out["text"]))
        else:
            merged.append(out)
    return merged


def digest(cell):
    """The comparable content of a code cell's outputs: a list, one entry per output."""
    timing = "timing" in _tags(cell)
    result = []
    for out in _outputs(cell):
        kind = out["output_type"]
        if kind == "stream":
            result.append({out["name"]: normalise_text(_text(out["text"]), timing)})
        elif kind == "error":
            result.append({"error": f"{out['ename']}: {out['evalue']}"})
        else:
            item = {}
            for mime, value in sorted(out.get("data", {}).items()):
                value = _text(value) if isinstance(value, (str, list)) else json.dumps(value)
                if mime == "image/svg+xml":
                    item[mime] = svg_digest(value)
                elif mime == "image/png":
                    item[mime] = png_size(value)
                elif mime.startswith("text/"):
                    item[mime] = normalise_text(value, timing)
                else:
                    item[mime] = value
            result.append(item)
    return result


def renderer_versions():
    """What a matplotlib PNG's pixels depend on, recorded in a notebook's metadata."""
    import matplotlib
    from matplotlib import ft2font
    return {"matplotlib": matplotlib.__version__, "freetype": ft2font.__freetype_version__}


def _pixels_differ(a_b64, b_b64):
    import numpy as np
    a, b = png_pixels(a_b64), png_pixels(b_b64)
    if a.shape != b.shape:
        return True
    return float(np.mean(np.any(np.abs(a - b) > 8 / 255, axis=-1))) > PIXEL_SLACK


def _cell_name(index, cell):
    first = next((line for line in _text(cell["source"]).splitlines() if line.strip()), "")
    return f"cell {index} ({first[:60]!r})"


def compare(committed, fresh, same_renderer=False):
    """Differences between a committed notebook and a fresh run of it, as readable lines."""
    problems = []
    old_cells, new_cells = committed["cells"], fresh["cells"]
    if [_text(c["source"]) for c in old_cells] != [_text(c["source"]) for c in new_cells]:
        return ["the two notebooks do not have the same cells"]
    for index, (old, new) in enumerate(zip(old_cells, new_cells)):
        if old["cell_type"] != "code":
            continue
        was, now = digest(old), digest(new)
        name = _cell_name(index, old)
        if was != now:
            problems.append(f"{name}: committed outputs differ from a fresh run:\n"
                            f"  committed: {json.dumps(was, ensure_ascii=False)[:1500]}\n"
                            f"  fresh:     {json.dumps(now, ensure_ascii=False)[:1500]}")
            continue
        if same_renderer and "timing" not in _tags(old):
            pngs = [(a["data"]["image/png"], b["data"]["image/png"])
                    for a, b in zip(_outputs(old), _outputs(new))
                    if "image/png" in a.get("data", {})]
            for k, (a, b) in enumerate(pngs):
                if _pixels_differ(_text(a), _text(b)):
                    problems.append(f"{name}: figure {k + 1} differs from a fresh run")
    return problems


def same_renderer_as(notebook):
    return notebook.get("metadata", {}).get("glassgrad", {}).get("outputs") == renderer_versions()


# ================================================================ numbers in prose

def _numbers(text):
    """Values of the numbers in `text` that prose must not invent: anything with a decimal
    point or an exponent, and integers from 10 up (single digits count things and sections)."""
    found = set()
    for token in NUMBER.findall(text):
        value = float(token)
        if "." in token or "e" in token.lower() or value >= 10:
            found.add(value)
    return found


def _prose(markdown):
    markdown = re.sub(r"\]\([^)]*\)", "]", markdown)         # link targets
    markdown = re.sub(r"<[^>]+>", " ", markdown)             # HTML tags (<details>, ...)
    markdown = re.sub(r"_\{[^}]*\}|_\w+", " ", markdown)      # subscripts and names: w_{21}, x_2
    return markdown


def _code_without_comments(source):
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return source
    return " ".join(t.string for t in tokens if t.type != tokenize.COMMENT)


def evidence(notebook):
    """Every number a notebook's cells compute or state: code (comments excluded) and the
    text of every output, drawings included."""
    values = set()
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        values |= _numbers(_code_without_comments(_text(cell["source"])))
        for out in cell.get("outputs", []):
            if out["output_type"] == "stream":
                values |= _numbers(_text(out["text"]))
            for mime, value in out.get("data", {}).items():
                if mime == "image/svg+xml":
                    values |= _numbers(" ".join(svg_digest(_text(value))["texts"]))
                elif mime.startswith("text/"):
                    values |= _numbers(_text(value))
    return values


def unbacked_numbers(notebook):
    """(cell index, number) for every number in the prose that no cell computes or states."""
    known = evidence(notebook)
    missing = []
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] == "markdown":
            for value in sorted(_numbers(_prose(_text(cell["source"]))) - known):
                missing.append((index, value))
    return missing


# ================================================================ as committed (cheap)

def test_every_notebook_is_listed_in_the_readme():
    listed = listed_in_readme()
    assert listed == [p.stem for p in NOTEBOOKS]
    assert listed[:6] == FIRST_SIX


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebook_reads_well(path):
    assert path.stat().st_size < 1_000_000
    notebook = _read(path)
    cells = notebook["cells"]
    assert cells[0]["cell_type"] == "markdown" and "What you will learn" in _text(cells[0]["source"])
    heads = [i for i, c in enumerate(cells) if c["cell_type"] == "markdown"
             and _text(c["source"]).startswith(("## Exercises", "## Solutions"))]
    assert len(heads) == 2, "one '## Exercises' and one '## Solutions' cell, in that order"
    exercises, solutions = (_text(cells[i]["source"]) for i in heads)
    assert exercises.startswith("## Exercises") and heads[1] == heads[0] + 1
    numbered = re.findall(r"^(\d+)\. ", exercises, re.M)
    assert numbered == [str(k) for k in range(1, len(numbered) + 1)] and numbered
    after = "".join(_text(c["source"]) for c in cells[heads[1]:])
    for k in numbered:
        assert f"Exercise {k}" in after, f"no solution for exercise {k}"
    for c in cells[heads[1] + 1:]:
        assert c["cell_type"] == "markdown" or "solution" in _tags(c), _text(c["source"])[:80]
    for c in cells:
        if c["cell_type"] != "code":
            continue
        source = _text(c["source"])
        if _tags(c) & HIDDEN_TAGS:
            assert c["metadata"].get("jupyter", {}).get("source_hidden") is True, source[:80]
        if "check" in _tags(c):
            assert "assert " in source and not c["outputs"], source[:80]
        assert not any(o["output_type"] == "error" for o in c["outputs"]), source[:80]
        assert not any(o.get("name") == "stderr" for o in c["outputs"]), source[:80]
        assert "execution" not in c["metadata"], "timestamps make every refresh a change"
        # The public API only: no private names of glassgrad's modules.
        assert not re.search(r"\b(autograd|nn|viz)(\.\w+)*\._\w", source), source[:80]
        assert "import _" not in source
    assert notebook["metadata"].get("glassgrad", {}).get("outputs"), "made by the refresh"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_number_in_the_prose_is_computed(path):
    missing = unbacked_numbers(_read(path))
    assert not missing, ("numbers in the prose that no cell prints, asserts or sets "
                         f"(cell index, value): {missing}")


def test_the_readme_quotes_only_numbers_the_notebooks_compute():
    rows = re.findall(r"^\| \[(\d\d_\w+)\.ipynb\][^|]*\|(.*)\|\s*$",
                      README.read_text(encoding="utf-8"), re.M)
    assert rows
    for name, row in rows:
        missing = _numbers(_prose(row)) - evidence(_read(NOTEBOOK_DIR / f"{name}.ipynb"))
        assert not missing, f"README row of {name} quotes {sorted(missing)}"


# Sentences of the errata issue 15 found in the first edition. The numbers they got wrong are
# now printed or asserted by the notebooks; these pin the wording, so that an old sentence
# pasted back from an earlier version fails here.
ERRATA = {
    "01_chain_rule_and_graphs": ["about twice as steep", r"L = (y - \text{target})^2"],
    "02_gradient_descent": ['stocks    = ["A", "B"', "Adam heads almost straight across and then along"],
    "03_training_an_mlp": ["escapes within a few epochs"],
    "04_vanishing_and_exploding": ["shrinks by at least", "multiplies the first layer's gradient by about",
                                   "the next forward pass overflows", "half the signal is lost per layer",
                                   "shrink by about 0.23 per layer"],
    "05_overfitting": ["on several of the ten training sets the validation loss is lowest"],
}


@pytest.mark.parametrize("name", sorted(ERRATA))
def test_the_errata_of_issue_15_stay_fixed(name):
    text = "\n".join(_text(c["source"]) for c in _read(NOTEBOOK_DIR / f"{name}.ipynb")["cells"])
    assert not [phrase for phrase in ERRATA[name] if phrase in text]


# ---------------------------------------------------------------- the checks can fail

def _committed(name):
    return _read(NOTEBOOK_DIR / f"{name}.ipynb")


def _first_cell(notebook, needle):
    return next(c for c in notebook["cells"] if needle in _text(c["source"])
                and c["cell_type"] == "code")


def test_a_notebook_matches_itself_and_noise_is_ignored():
    committed = _committed("01_chain_rule_and_graphs")
    noisy = copy.deepcopy(committed)
    for cell in noisy["cells"]:
        if cell["cell_type"] != "code":
            continue
        cell["execution_count"] = 99
        cell["metadata"]["execution"] = {"iopub.status.busy": "2030-01-01T00:00:00Z"}
        for out in cell["outputs"]:
            if out["output_type"] == "stream" and "timing" in _tags(cell):   # other times, other widths
                out["text"] = re.sub(r"\d+", lambda m: str(int(m.group()) * 13 + 1), _text(out["text"]))
            for mime, value in out.get("data", {}).items():
                if mime == "image/svg+xml":    # moved boxes: the layout is not compared
                    out["data"][mime] = re.sub(r'(x|y)="(-?[\d.]+)"', r'\1="1.5"', _text(value))
    timed = [c for c in noisy["cells"] if "timing" in _tags(c)]
    assert timed, "01 has a timing cell; this test needs one"
    assert compare(committed, noisy) == []
    assert normalise_text("took 2.4 ms, 0.5 s, 12 µs at 0x7f3a2b1c") == \
        "took <duration>, <duration>, <duration> at 0x…"
    assert normalise_text("| 8 steps    2.4 ms |") == normalise_text("| 8 steps   12.4 ms |")   # padded columns
    assert normalise_text("  19   0.5 ms  3×", timing=True) == normalise_text("  19  10.5 ms 12×", timing=True)
    assert normalise_text("10 steps, 5 sets, loss 4.58") == "10 steps, 5 sets, loss 4.58"


def test_a_stale_output_is_caught_and_named():
    # The very slip issue 15 found: nb04's clipping table committed from an older run
    # ("clip by norm 1 ... final loss 4.58 accuracy 72%" where a fresh run printed other numbers).
    committed = _committed("04_vanishing_and_exploding")
    stale = copy.deepcopy(committed)
    cell = _first_cell(stale, 'results["He init, no clipping"]')
    stream = next(o for o in cell["outputs"] if o["output_type"] == "stream")
    text = _text(stream["text"])
    old = re.sub(r"(clip by norm 1 .*?final loss )[\d.]+(\s+accuracy )\d+%", r"\g<1>4.58\g<2>72%", text, count=1)
    assert old != text
    stream["text"] = old
    problems = compare(stale, committed)
    assert len(problems) == 1 and "4.58" in problems[0] and "72%" in problems[0]
    assert problems[0].startswith(f"cell {stale['cells'].index(cell)} ")


def test_missing_extra_and_changed_outputs_are_caught():
    committed = _committed("01_chain_rule_and_graphs")
    drawing = _first_cell(committed, "highlight=")
    for change in ("drop", "extra", "svg text", "svg colour", "png size", "png pixels"):
        other = copy.deepcopy(committed)
        cell = other["cells"][committed["cells"].index(drawing)]
        svg = next(o for o in cell["outputs"] if "image/svg+xml" in o.get("data", {}))
        if change == "drop":
            cell["outputs"] = []
        elif change == "extra":
            cell["outputs"].append({"output_type": "stream", "name": "stdout", "text": "hi\n"})
        elif change == "svg text":
            text = _text(svg["data"]["image/svg+xml"])
            svg["data"]["image/svg+xml"] = re.sub(r">(-?\d+\.\d{4})<", ">9.9999<", text, count=1)
        elif change == "svg colour":
            text = _text(svg["data"]["image/svg+xml"])
            fills = re.findall(r'fill="(#[0-9a-fA-F]{6})"', text)
            colour = next(f for f in fills if f.lower() not in ("#ffffff", "#000000"))
            svg["data"]["image/svg+xml"] = text.replace(colour, "#123456", 1)
        else:
            figure_cell = next(c for c in other["cells"] if c["cell_type"] == "code"
                               and "timing" not in _tags(c)
                               and any("image/png" in o.get("data", {}) for o in c["outputs"]))
            png = next(o for o in figure_cell["outputs"] if "image/png" in o.get("data", {}))
            png["data"]["image/png"] = _altered_png(_text(png["data"]["image/png"]),
                                                    resize=change == "png size")
        assert compare(committed, other, same_renderer=True), change
    # Pixels are only compared when the notebook was made with the same renderer.
    assert not compare(committed, other, same_renderer=False)


def _altered_png(b64, resize):
    import numpy as np
    from matplotlib import image
    pixels = png_pixels(b64)
    if resize:
        pixels = pixels[:-1]
    else:
        pixels = pixels.copy()
        pixels[10:30, 10:30, :3] = 1 - pixels[10:30, 10:30, :3]
    buffer = io.BytesIO()
    image.imsave(buffer, np.clip(pixels, 0, 1), format="png")
    return base64.b64encode(buffer.getvalue()).decode()


def test_a_number_typed_into_the_prose_is_caught():
    notebook = copy.deepcopy(_committed("04_vanishing_and_exploding"))
    assert unbacked_numbers(notebook) == []
    # One of the errata of issue 15: a per-layer factor the cells no longer print.
    notebook["cells"].insert(3, {"cell_type": "markdown", "metadata": {},
                                 "source": "ReLU keeps 0.83 of the gradient per layer."})
    assert unbacked_numbers(notebook) == [(3, 0.83)]
    assert _numbers("3 layers, 10 epochs, 0.5, 1e-3, 2.97 %") == {10.0, 0.5, 1e-3, 2.97}


# ================================================================ executed

@pytest.fixture(scope="module")
def kernel_name(tmp_path_factory):
    """A kernel that runs THIS interpreter (the venv's python) on a fresh machine.

    ipykernel installs a `python3` spec whose argv[0] is plain "python", which
    jupyter_client replaces by sys.executable. If some other `python3` spec shadows it
    (e.g. a user-level one pointing at another interpreter), we write a private spec and
    put it first on JUPYTER_PATH.
    """
    pytest.importorskip("ipykernel")
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    generic = {"python", f"python{sys.version_info[0]}", "python%d.%d" % sys.version_info[:2]}
    try:
        argv0 = KernelSpecManager().get_kernel_spec("python3").argv[0]
        if argv0 in generic or os.path.realpath(argv0) == os.path.realpath(sys.executable):
            yield "python3"
            return
    except NoSuchKernel:
        pass
    root = tmp_path_factory.mktemp("jupyter")
    spec = root / "kernels" / "glassgrad-python"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "glassgrad (this venv)", "language": "python"}))
    old = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(root), old]))
    try:
        yield "glassgrad-python"
    finally:
        if old is None:
            os.environ.pop("JUPYTER_PATH", None)
        else:
            os.environ["JUPYTER_PATH"] = old


_RUNS = {}


def execute(path, kernel_name):
    """Run a notebook once per test session: (fresh notebook as a dict, seconds taken)."""
    if path not in _RUNS:
        nbformat = pytest.importorskip("nbformat")
        nbclient = pytest.importorskip("nbclient")
        pytest.importorskip("matplotlib")
        notebook = nbformat.read(str(path), as_version=4)
        client = nbclient.NotebookClient(notebook, kernel_name=kernel_name,
                                         timeout=int(BUDGET), record_timing=False,
                                         resources={"metadata": {"path": str(NOTEBOOK_DIR)}})
        # The kernel inherits the environment: give it Jupyter's own inline backend (figures
        # as PNG outputs, as a reader sees them), not the Agg of the test process (conftest).
        old = os.environ.get("MPLBACKEND")
        os.environ["MPLBACKEND"] = INLINE_BACKEND
        try:
            start = time.perf_counter()
            client.execute()
            took = time.perf_counter() - start
        finally:
            os.environ["MPLBACKEND"] = old if old is not None else "Agg"
            if old is None:
                del os.environ["MPLBACKEND"]
        for cell in notebook.cells:       # what the refresh writes: joined streams, no timestamps
            cell.metadata.pop("execution", None)
            if cell.cell_type == "code":
                cell.outputs = [nbformat.from_dict(o) for o in _outputs(cell)]
        notebook.metadata["glassgrad"] = {"outputs": renderer_versions()}
        _RUNS[path] = (notebook, took)
    return _RUNS[path]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_executes_within_budget(path, kernel_name):
    notebook, took = execute(path, kernel_name)
    assert took < BUDGET, f"{path.name} took {took:.1f} s (budget {BUDGET:.0f} s)"
    print(f"{path.name}: {took:.1f} s")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_outputs_are_fresh(path, kernel_name):
    notebook, _ = execute(path, kernel_name)
    fresh = json.loads(json.dumps(notebook))
    if REFRESH:
        import nbformat
        nbformat.write(nbformat.from_dict(fresh), str(path))
        return
    committed = _read(path)
    problems = compare(committed, fresh, same_renderer=same_renderer_as(committed))
    assert not problems, (f"{path.name} is stale; refresh it with GLASSGRAD_REFRESH_NOTEBOOKS=1 "
                          f"(see tests/test_notebooks.py):\n" + "\n".join(problems))
