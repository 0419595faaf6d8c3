"""benchmarks/bench_incidents.py runs and prints its rows (a smoke run: tiny sizes, no timing asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_incidents_prints_the_ratios_and_stays_within_its_bytes() -> None:
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "bench_incidents.py"),
            *("--requests", "3", "--rounds", "1", "--turns", "20", "--store-count", "2000", "--max-mb", "2"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr[-2000:]
    assert out.stdout.count("ratio") == 2, out.stdout
    assert "within the configured bytes: yes" in out.stdout
