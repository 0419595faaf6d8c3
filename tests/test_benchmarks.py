"""The benchmark the README quotes for the instrumentation's cost runs, with either client, and prints
a row per body and response kind, and the process CPU per request under it (a smoke run: tiny sizes, no
timing is asserted)."""

from __future__ import annotations

import re
import shutil
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


CPU_TOOLS_MISSING = [t for t in ("valgrind", "gcc") if shutil.which(t) is None] + [
    h for h in ("/usr/include/valgrind/callgrind.h",) if not Path(h).exists()
]


@pytest.mark.skipif(
    bool(CPU_TOOLS_MISSING),
    reason=f"bench_cpu.py counts instructions with callgrind; missing: {', '.join(CPU_TOOLS_MISSING)}"
    " (Debian: apt-get install valgrind gcc libc6-dev; .ci/run installs them)",
)
def test_bench_cpu_counts_what_each_layer_adds() -> None:
    """The instruction-count benchmark runs its child under callgrind, prints the counts of every mode for
    every response kind and conversation, and each layer (the SDK's spans, OpenTelemetry's httpx
    instrumentation, claude-otel) counts more instructions than the one under it."""
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "bench_cpu.py"),
            "--sizes",
            "3000",
            "--requests",
            "1",
            "--warmup",
            "1",
            "--process-warmup",
            "3",
            "--native-rounds",
            "2",
            "--native-requests",
            "3",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    tables = [
        [line.split() for line in block.splitlines() if re.match(r"\s*\d+KB ", line)]
        for block in out.stdout.split("\n\n")
    ]
    counts, added, estimates = [t for t in tables if t]
    variants = [("json", "steady"), ("json", "fresh"), ("sse", "steady"), ("sse", "fresh")]
    for table in (counts, added, estimates):
        assert [tuple(r[1:3]) for r in table] == variants, out.stdout
    for row in counts:  # bare, sdk-tracing, otel, c-o inline, c-o overlap
        bare, sdk, otel, inline, overlap = (float(v) for v in row[3:8])
        assert 0 < bare < sdk < otel < min(inline, overlap), row
    for row in added:  # each layer's addition, then claude-otel's over the SDK's own tracing's
        assert all(float(v) > 0 for v in row[3:9]), row
    for row in estimates:  # ns per instruction, bare ms, the layers' ms, the targets' verdicts
        assert all(float(v) > 0 for v in row[3:9]), row
        assert row[-2] in ("met", "MISSED") and row[-1] in ("met", "MISSED"), row
