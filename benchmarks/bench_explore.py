"""The explorer and the film (issue 12): page size, time to write, time to interactive, and
the live what-if recompute in the page.

Targets: a 100-node explorer page <= 300 KB (300 KB per 100 nodes above) written in < 1 s;
interactive in the browser < 1 s after load; a what-if recompute (setLeaf: forward, backward
and repainting what is drawn) of a 2,000-node scalar graph < 50 ms in the page.

The browser figures need Playwright and the system Chromium (/usr/bin/chromium); without
them they are left out, saying why. Reported: median of `--repeat` runs.

    python benchmarks/bench_explore.py [--repeat 5] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import autograd  # noqa: E402
import nn  # noqa: E402
import viz  # noqa: E402
from autograd import Value, topological_order  # noqa: E402
from cli import lecture_neuron  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def mlp_loss(nin: int, sizes: List[int]) -> Value:
    model = nn.MLP(nin, sizes, fused=False, seed=0)
    x = [Value(0.1 * (k + 1), label=f"x{k}") for k in range(nin)]
    loss = (model(x) - 1.0) ** 2
    loss.label = "loss"
    return loss


def scalar_chain(n: int) -> Value:
    """About n nodes of mixed scalar ops, one input used everywhere."""
    x = Value(0.5, label="x")
    s = x
    while len(topological_order(s)) < n - 4:
        for _ in range(50):
            s = (s * 0.999 + x).tanh() if len(topological_order(s)) % 2 else s + x * 0.001
    s.label = "out"
    return s


def median_time(make: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        make()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def parts_of(page: str) -> Dict[str, float]:
    """KB of a page's SVG, its data (JSON) and its scripts and style sheet."""
    svg = page[page.index("<svg"):page.index("</svg>") + 6]
    start = page.index('class="gg-data">')
    data = page[start:page.index("</script>", start)]
    code = sum(len(m.split("</script>")[0].encode()) for m in page.split("<script>")[1:])
    code += len(page[page.index("<style>"):page.index("</style>")].encode())
    return {"svg": len(svg.encode()) / 1000, "data": len(data.encode()) / 1000,
            "code": code / 1000}


def pages(folder: Path, repeat: int) -> List[Dict[str, Any]]:
    rows = []
    for name, root in [("lecture neuron", lecture_neuron()),
                       ("MLP(2,[4,4,1]) per-op loss", mlp_loss(2, [4, 4, 1])),
                       ("MLP(3,[4,4,1]) per-op loss", mlp_loss(3, [4, 4, 1])),
                       ("2,000-node scalar graph", scalar_chain(2000))]:
        path = folder / (name.split()[0].replace(",", "_") + ".html")
        seconds = median_time(lambda: viz.explore(root).save(path), repeat)
        n = len(topological_order(root))
        size = path.stat().st_size
        rows.append({"graph": name, "nodes": n, "kb": size / 1000, "seconds": seconds,
                     "path": str(path), "parts": parts_of(path.read_text(encoding="utf-8")),
                     "ok": n > 1000 or (size <= 300_000 * max(n, 100) / 100 and seconds < 1)})
    autograd.manual_seed(0)
    layers, nin = [], 2
    for _ in range(10):
        layers += [nn.Linear(nin, 16), nn.Sigmoid()]
        nin = 16
    model = nn.Sequential(*layers, nn.Linear(nin, 1))
    film = viz.Film(every=10)
    X, y = nn.datasets.moons(200, seed=0)
    nn.fit(model, nn.MSELoss(), nn.optim.SGD(model.parameters(), lr=0.1),
           (X, y.astype(float)), epochs=200, callbacks=[film], progress=False)
    path = folder / "film.html"
    seconds = median_time(lambda: film.save(path), repeat)
    rows.append({"graph": "film: 10-layer sigmoid MLP, 20 frames", "nodes": len(film.modules),
                 "kb": path.stat().st_size / 1000, "seconds": seconds, "path": str(path),
                 "ok": True})
    return rows


def browser(rows: List[Dict[str, Any]], repeat: int) -> Optional[str]:
    """Adds time to interactive and the what-if time to `rows`; the reason when it cannot."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return "Playwright is not installed"
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        return "Chromium is not installed"
    with sync_playwright() as p:
        chrome = p.chromium.launch(executable_path=CHROMIUM if Path(CHROMIUM).exists()
                                   else shutil.which("chromium"), args=ARGS)
        for row in rows:
            ready = []
            for _ in range(repeat):
                page = chrome.new_page(viewport={"width": 1400, "height": 900})
                page.goto(Path(row["path"]).resolve().as_uri())
                page.wait_for_function("window.glassgrad && window.glassgrad.ready")
                ready.append(page.evaluate("window.glassgrad.readyMs || performance.now()"))
                if row["graph"].startswith("2,000") or row["graph"].startswith("MLP(3"):
                    leaf = "x" if row["graph"].startswith("2,000") else "x0"
                    times = page.evaluate("""(leaf) => { const g = window.glassgrad, t = [];
                        for (let k = 0; k < 21; k++) { const s = performance.now();
                          g.setLeaf(leaf, 0.4 + 0.01 * (k % 3)); t.push(performance.now() - s); }
                        return t; }""", leaf)
                    row.setdefault("whatif", []).append(statistics.median(times))
                page.close()
            row["ready_ms"] = statistics.median(ready)
            row["ok"] = row["ok"] and row["ready_ms"] < 1000
            if "whatif" in row:
                row["whatif_ms"] = statistics.median(row.pop("whatif"))
                row["ok"] = row["ok"] and row["whatif_ms"] < 50
        chrome.close()
    return None


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure (median)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        rows = pages(Path(tmp), args.repeat)
        why = browser(rows, args.repeat)
    print("| page | nodes | KB | write s | interactive ms | what-if ms | target met |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for r in rows:
        ready = f"{r['ready_ms']:.0f}" if "ready_ms" in r else "-"
        whatif = f"{r['whatif_ms']:.1f}" if "whatif_ms" in r else "-"
        print(f"| {r['graph']} | {r['nodes']} | {r['kb']:.0f} | {r['seconds']:.3f} | {ready} | "
              f"{whatif} | {'yes' if r['ok'] else 'NO'} |")
    if why:
        print(f"(browser figures left out: {why})")
    print("\n| page | SVG KB | data KB | scripts and style KB |\n| --- | ---: | ---: | ---: |")
    for r in rows:
        if "parts" in r:
            p = r["parts"]
            print(f"| {r['graph']} | {p['svg']:.0f} | {p['data']:.0f} | {p['code']:.0f} |")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
