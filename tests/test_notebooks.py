"""The teaching notebooks: each runs top to bottom in this environment's own kernel, fast,
and reads well as committed (outputs included, no errors, small, what-you-will-learn first,
exercises last, public API only, listed in notebooks/README.md)."""
import json
import os
import re
import sys
import time
from pathlib import Path

import pytest

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
BUDGET = 60.0          # seconds per notebook, kernel start included
EXPECTED = ["01_chain_rule_and_graphs", "02_gradient_descent", "03_training_an_mlp",
            "04_vanishing_and_exploding", "05_overfitting", "06_losses_for_returns"]


def _cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _text(cell):
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


# ---------------------------------------------------------------- as committed (cheap)

def test_all_six_notebooks_are_there_and_listed():
    assert [p.stem for p in NOTEBOOKS] == EXPECTED
    readme = (NOTEBOOK_DIR / "README.md").read_text(encoding="utf-8")
    for name in EXPECTED:
        assert f"{name}.ipynb" in readme


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebook_reads_well(path):
    assert path.stat().st_size < 1_000_000
    cells = _cells(path)
    assert cells[0]["cell_type"] == "markdown" and "What you will learn" in _text(cells[0])
    assert cells[-1]["cell_type"] == "markdown" and "## Exercises" in _text(cells[-1])
    code = [c for c in cells if c["cell_type"] == "code"]
    assert all(c["outputs"] for c in code[1:]), "committed without outputs"
    for c in code:
        assert not any(o["output_type"] == "error" for o in c["outputs"])
        assert not any(o.get("name") == "stderr" for o in c["outputs"]), _text(c)[:80]
        # The public API only: no private names of glassgrad's modules.
        assert not re.search(r"\b(autograd|nn|viz)(\.\w+)*\._\w", _text(c)), _text(c)[:80]
        assert "import _" not in _text(c)


# ---------------------------------------------------------------- executed

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


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_executes_within_budget(path, kernel_name):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("matplotlib")
    notebook = nbformat.read(str(path), as_version=4)
    # MPLBACKEND=Agg (conftest) reaches the kernel: figures are built but not rendered.
    client = nbclient.NotebookClient(notebook, kernel_name=kernel_name, timeout=int(BUDGET),
                                     resources={"metadata": {"path": str(NOTEBOOK_DIR)}})
    start = time.perf_counter()
    client.execute()
    took = time.perf_counter() - start
    assert took < BUDGET, f"{path.name} took {took:.1f} s (budget {BUDGET:.0f} s)"
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert not any(o.get("output_type") == "error" for o in cell.outputs)
