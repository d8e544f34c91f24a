"""Run every benchmark in this folder (``make bench``)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import reidlab  # noqa: F401  (first: sizes torch's threads, see reidlab.cpu)

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

for path in sorted(HERE.glob("bench_*.py")):
    print(f"== {path.stem}")
    importlib.import_module(path.stem).main()
    print()
