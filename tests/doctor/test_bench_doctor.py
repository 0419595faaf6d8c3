"""The doctor benchmark runs and prints its rows (a smoke run: tiny sizes, no timing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_doctor_prints_throughput_and_finds_the_damaged_sessions() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_doctor.py"), "--sessions", "20", "--mb", "0.05"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "20 sessions" in out.stdout and "'broken': 1" in out.stdout and ", 1 notes" in out.stdout
    assert "MB/s" in out.stdout and "1,000 sessions of 1 MB at this rate" in out.stdout
