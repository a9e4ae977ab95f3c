"""Run every benchmark in this folder, one after another (`make bench`).

Each `bench_*.py` runs with its default settings and prints its own table; the exit status
is non-zero when any of them missed a target or failed. Run one alone for its options:
`python benchmarks/bench_viz.py --help`.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from typing import List, Optional

HERE = Path(__file__).resolve().parent


def scripts() -> List[Path]:
    return sorted(HERE.glob("bench_*.py"))


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="benchmarks: " + ", ".join(s.stem for s in scripts()))
    parser.add_argument("--only", nargs="+", metavar="NAME", choices=[s.stem for s in scripts()],
                        help="run just these (e.g. --only bench_viz)")
    args = parser.parse_args(argv)
    failed = 0
    for script in scripts():
        if args.only and script.stem not in args.only:
            continue
        print(f"\n=== {script.name} ===", flush=True)
        failed |= subprocess.call([sys.executable, str(script)])
    return failed


if __name__ == "__main__":
    sys.exit(main())
