"""The benchmark the README quotes for the instrumentation's cost runs, with either client, and prints
a row per body and response kind, and the process CPU per request under it (a smoke run: tiny sizes, no
timing is asserted)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("client", ["httpx2", "anthropic"])
def test_bench_overhead_prints_every_row(client: str) -> None:
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "bench_overhead.py"),
            "--sizes",
            "3000",
            "--rounds",
            "1",
            "--requests",
            "2",
            "--latency-ms",
            "0,1",
            "--client",
            client,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.splitlines()
    tables = [line for line in lines if f"{client} client, server latency" in line]
    assert len(tables) == 2, out.stdout
    rows = [line.split() for line in lines if re.match(r"\s*\d+KB ", line)]
    assert [r[1] for r in rows] == ["json", "sse", "json", "sse"], out.stdout
    for (
        row
    ) in rows:  # bare, otel, inline, overlap, hooks: a time each; ratios, analyze(), budget, added, genai
        assert len(row) == 15 and all(float(v) > 0 for v in row[2:7]), row
    cpu = [line.split() for line in lines if re.match(r"\s*cpu ", line)]
    assert len(cpu) == 4, out.stdout  # process CPU per request of every mode, under each row
    for row in cpu:
        assert all(float(v) > 0 for v in row[1:6]), row
