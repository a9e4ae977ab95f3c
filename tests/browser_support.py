"""Pages tested in a real browser: the system's headless Chromium, driven by Playwright.

tests/conftest.py provides the `browser` fixture; tests use `opened`. Without Playwright or Chromium
(`/usr/bin/chromium`, Debian's `chromium` package; `.ci/run` installs it) the tests skip
and say why. A browser is never downloaded. Every page opens from a file; any other
request is recorded and refused, and console errors and uncaught exceptions are collected,
so a test can assert that a page is offline and clean.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any, Iterator, List

import pytest

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def chromium_path() -> str:
    """The system Chromium (`GLASSGRAD_CHROMIUM` overrides); skips the test without one."""
    chosen = os.environ.get("GLASSGRAD_CHROMIUM")
    found = chosen or next((p for p in ("/usr/bin/chromium", shutil.which("chromium"),
                                        shutil.which("chromium-browser")) if p and
                            Path(p).exists()), None)
    if not found or not Path(found).exists():
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium; .ci/run "
                    "installs it): the browser tests need a real browser")
    return found


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright is not installed (pip install -e '.[test]'): the browser "
                    "tests drive Chromium with it")
    path = chromium_path()
    with sync_playwright() as p:
        chrome = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chrome
        finally:
            chrome.close()


class Opened:
    """A page opened from a file, with what went wrong on it: `errors` (console errors and
    uncaught exceptions) and `requests` (anything it tried to fetch besides its file)."""

    def __init__(self, page: Any, path: Path) -> None:
        self.page, self.path = page, path
        self.errors: List[str] = []
        self.requests: List[str] = []

    def js(self, expression: str, arg: Any = None) -> Any:
        return self.page.evaluate(expression, arg)

    def close(self) -> None:
        self.page.close()


def opened(browser: Any, path: Path, width: int = 1400, height: int = 900) -> Opened:
    page = browser.new_page(viewport={"width": width, "height": height})
    result = Opened(page, Path(path))
    own = Path(path).resolve().as_uri()

    def route(r: Any) -> None:
        if r.request.url == own:
            r.continue_()
        else:
            result.requests.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: result.errors.append(f"console {m.type}: {m.text}")
            if m.type == "error" else None)
    page.on("pageerror", lambda e: result.errors.append(f"uncaught: {e}"))
    page.goto(own)
    page.wait_for_function("window.glassgrad && window.glassgrad.ready !== false")
    return result
