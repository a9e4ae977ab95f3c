import os

os.environ.setdefault("MPLBACKEND", "Agg")

# One headless Chromium for the whole session (Playwright allows one sync driver at a time).
from browser_support import browser  # noqa: E402,F401
