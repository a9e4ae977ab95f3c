"""Make the README's pictures of the explorer and the film (headless Chromium).

    .venv/bin/python docs/screenshots.py          # writes docs/explorer.png, film.png, torch_explorer.png
    .venv/bin/python docs/screenshots.py film     # only the pictures named

explorer.png: `glassgrad demo`'s explorer of the lecture neuron with w1 clicked (its path
to the output in orange, the chain-rule sum beside it) and the pointer on o (the tooltip
with ∂o/∂n). film.png: the films of two 10-layer MLPs on moons, sigmoid and ReLU/He, at
their first step, side by side in one page (tests/test_film.py checks these numbers).
torch_explorer.png: the README's traced PyTorch MLP (needs torch) in the explorer, the first
layer's weight clicked and the pointer on the loss.
Needs Playwright and the system Chromium (/usr/bin/chromium).
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import viz  # noqa: E402
from browser_support import CHROMIUM_ARGS, chromium_path  # noqa: E402
from cli import lecture_neuron  # noqa: E402
from test_film import deep_mlp, train  # noqa: E402
import nn  # noqa: E402


def shoot_explorer(chrome, path: Path, click: str, hover: str, picture: str) -> None:
    """A saved explorer page with the node labelled `click` clicked (its blame paths lit)
    and the pointer on `hover` (its tooltip shown), as docs/`picture`."""
    page = chrome.new_page(viewport={"width": 1280, "height": 640}, device_scale_factor=1)
    page.goto(path.resolve().as_uri())
    page.wait_for_function("window.glassgrad && window.glassgrad.ready")
    page.locator(f'.gg-node[data-label="{click}"]').first.click()
    page.locator(f'.gg-node[data-label="{hover}"]').first.hover()
    page.wait_for_selector(".gg-tip:not([hidden])")
    page.screenshot(path=str(ROOT / "docs" / picture), full_page=True)
    page.close()


def explorer(chrome, folder: Path) -> None:
    path = viz.explore(lecture_neuron(), params=["w1", "w2", "b"],
                       title="o = tanh(x1*w1 + x2*w2 + b)").save(folder / "explorer.html")
    shoot_explorer(chrome, path, "w1", "o", "explorer.png")


def film(chrome, folder: Path) -> None:
    films = []
    for activation, he in ((nn.Sigmoid, False), (nn.ReLU, True)):
        f = viz.Film(every=3)
        train(deep_mlp(activation, he=he), f)
        films.append(f)
    cells = "".join(f'<div><h4>{title}</h4>{f._repr_html_()}</div>' for title, f in
                    zip(("10 × Linear + Sigmoid, default init",
                         "10 × Linear + ReLU, He init"), films))
    page_html = ("<!DOCTYPE html><html><head><meta charset='utf-8'><style>"
                 "body{margin:10px;font-family:Helvetica,Arial,sans-serif}"
                 ".pair{display:grid;grid-template-columns:1fr 1fr;gap:18px}"
                 "h4{margin:2px 0 4px}.gg-loss{display:none}</style></head><body>"
                 f"<div class='pair'>{cells}</div>"
                 "<script>window.glassgrad={ready:true};</script></body></html>")
    path = folder / "film.html"
    path.write_text(page_html, encoding="utf-8")
    page = chrome.new_page(viewport={"width": 1100, "height": 600}, device_scale_factor=1)
    page.goto(path.resolve().as_uri())
    page.screenshot(path=str(ROOT / "docs" / "film.png"), full_page=True)
    page.close()


def torch_explorer(chrome, folder: Path) -> None:
    import torch
    import torch.nn as tnn
    import torch.nn.functional as F

    torch.manual_seed(0)
    model = tnn.Sequential(tnn.Linear(2, 3), tnn.Tanh(), tnn.Linear(3, 1))
    x, y = torch.randn(4, 2), torch.randn(4, 1)
    with viz.trace_torch(names={"x": x, "y": y}) as tape:
        loss = F.mse_loss(model(x), y)
    loss.backward()
    tape.node(loss).label = "loss"
    path = viz.explore(tape, title="a PyTorch model, traced").save(folder / "torch.html")
    shoot_explorer(chrome, path, "0.weight", "loss", "torch_explorer.png")


PICTURES = {"explorer": explorer, "film": film, "torch_explorer": torch_explorer}


def main() -> None:
    from playwright.sync_api import sync_playwright
    names = sys.argv[1:] or list(PICTURES)
    unknown = [n for n in names if n not in PICTURES]
    if unknown:
        raise SystemExit(f"screenshots.py: no picture named {unknown[0]!r}; "
                         f"choose from {', '.join(PICTURES)}")
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        chrome = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        for name in names:
            PICTURES[name](chrome, Path(tmp))
        chrome.close()
    for name in names:
        print(f"wrote docs/{name}.png ({(ROOT / 'docs' / f'{name}.png').stat().st_size // 1000} KB)")


if __name__ == "__main__":
    main()
