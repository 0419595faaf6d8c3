"""benchmarks/bench_incidents.py runs in a small mode and prints what it claims (no timing asserted): the
three arms with their ratios for both scenarios, a store that really holds full records and repeats, and a
bounded store that stays within its bytes while keeping rows."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_incidents_prints_the_ratios_and_stays_within_its_bytes() -> None:
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "bench_incidents.py"),
            *("--requests", "4", "--rounds", "2", "--turns", "20", "--records", "6000", "--max-mb", "1"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr[-2000:]
    text = out.stdout
    for scenario in ("retry burst", "new failure"):
        line = next(x for x in text.splitlines() if x.strip().startswith(scenario))
        assert re.search(r"ratio on/off median \d+\.\d{3} mean \d+\.\d{3}", line), line
        assert re.search(r"A/A off2/off median \d+\.\d{3}", line), line
        assert re.search(r"paired by round .*: on/off \d+\.\d{3}, A/A \d+\.\d{3}", line), line
    assert text.count("process CPU us/request: off") == 2
    # 2 scenarios x 3 rounds (one warm-up) x 4 requests, all written; the burst's repeats are marked, and
    # every new failure has its skeleton
    m = re.search(r"store: (\d+) records \((\d+) repeats, (\d+) with a skeleton\), dropped 0, failed 0", text)
    assert m, text
    records, repeats, skeletons = map(int, m.groups())
    assert records == 24 and repeats == 3 * 3 and skeletons == records - repeats
    peak, bound = map(
        float,
        re.search(r"peak database \+ WAL after any commit: ([\d.]+) MB \(bound ([\d.]+) MB", text).groups(),
    )
    assert 0 < peak <= bound
    assert int(re.search(r"rows kept at the end: (\d+)", text).group(1)) > 0  # bounded, not emptied
    assert "within the configured bytes: yes" in text
