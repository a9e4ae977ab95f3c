"""Packaging and the scripts around the command line: no setuptools warnings about the
license field, and `benchmarks/run_all.py --help` answers instead of running everything."""
from __future__ import annotations

import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_license_is_an_spdx_string_and_setuptools_does_not_warn(monkeypatch):
    dist_module = pytest.importorskip("setuptools.dist")
    from setuptools.config.pyprojecttoml import apply_configuration
    monkeypatch.chdir(ROOT)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dist = apply_configuration(dist_module.Distribution(), ROOT / "pyproject.toml")
    assert [str(w.message) for w in caught if "license" in str(w.message).lower()] == []
    assert dist.metadata.license_expression == "MIT"
    assert '"setuptools>=77"' in (ROOT / "pyproject.toml").read_text()   # SPDX strings: 77+


def test_run_all_help_prints_help_and_runs_nothing():
    started = time.monotonic()
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run_all.py"), "--help"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("usage: run_all.py")
    assert "bench_viz" in done.stdout and "===" not in done.stdout
    assert time.monotonic() - started < 30
    bad = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run_all.py"), "--only",
                          "bench_nope"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "invalid choice" in bad.stderr
