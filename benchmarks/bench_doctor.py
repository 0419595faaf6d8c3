"""`claude-otel doctor` throughput over a generated folder of Claude Code sessions.

Writes SESSIONS transcripts of about MB megabytes each (the 2.1.332 format: one block per assistant
entry, tool results as children of their tool_use, attachments, api-request bookkeeping lines), one in
20 damaged (text before a tool_result) and one in 20 interrupted (last tool call unanswered), then times
the whole scan (read, rebuild, analyse, per session) and, in the same run, a bare line-by-line orjson
parse of the same files for the ratio. Prints MB/s, sessions/s and what 1,000 sessions of 1 MB would take.

    python benchmarks/bench_doctor.py --sessions 200 --mb 1
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from claude_otel.doctor.scan import diagnose_file, session_files


def _session(path: Path, target_bytes: int, kind: str, rng: random.Random) -> None:
    sid = path.stem
    lines: list[str] = []
    n = 0
    last: str | None = None

    def add(kind_: str, message: dict | None = None, **extra: object) -> str:
        nonlocal n, last
        n += 1
        uid = f"{sid[:8]}-0000-4000-8000-{n:012d}"
        obj: dict = {
            "parentUuid": last,
            "isSidechain": False,
            "type": kind_,
            "uuid": uid,
            "timestamp": "2026-12-05T10:00:00.000Z",
            "sessionId": sid,
            "cwd": "/work/p",
            "version": "2.1.332",
        }
        if message is not None:
            obj["message"] = message
        obj.update(extra)
        lines.append(json.dumps(obj, separators=(",", ":")))
        last = uid
        return uid

    add("user", {"role": "user", "content": "please refactor the module and run the tests"})
    size = 0
    turn = 0
    damaged_turn = 3
    while size < target_bytes:
        turn += 1
        mid = f"msg_{sid[:8]}{turn:016d}"
        tid = f"toolu_{sid[:8]}{turn:016d}"
        asst = {
            "id": mid,
            "type": "message",
            "role": "assistant",
            "model": "claude-opus-5-5",
            "stop_reason": None,
        }
        add(
            "assistant",
            {**asst, "content": [{"type": "thinking", "thinking": "t" * 400, "signature": "s" * 200}]},
        )
        add("assistant", {**asst, "content": [{"type": "text", "text": "I will run it. " * 10}]})
        add(
            "assistant",
            {
                **asst,
                "content": [
                    {
                        "type": "tool_use",
                        "id": tid,
                        "name": "Bash",
                        "input": {"command": "pytest -q " + "x" * 80},
                    }
                ],
            },
        )
        lines.append(
            json.dumps(
                {
                    "type": "api-request",
                    "sessionId": sid,
                    "params": {
                        "model": "claude-opus-5-5",
                        "max_tokens": 32000,
                        "betas": ["claude-code-20250219"],
                    },
                },
                separators=(",", ":"),
            )
        )
        if kind == "interrupted" and size + 20000 >= target_bytes:
            break
        result = {"type": "tool_result", "tool_use_id": tid, "content": "ok line\n" * rng.randint(200, 1200)}
        content = [result]
        if kind == "damaged" and turn == damaged_turn:
            content = [{"type": "text", "text": "while you were at it"}, result]
        add("user", {"role": "user", "content": content}, toolUseResult={"stdout": "..."})
        add("attachment", attachment={"type": "todo", "items": []})
        size = sum(len(x) + 1 for x in lines)
    add(
        "assistant",
        {
            "id": f"msg_{sid[:8]}end",
            "role": "assistant",
            "model": "claude-opus-5-5",
            "content": [{"type": "text", "text": "done"}],
        },
    ) if kind != "interrupted" else None
    path.write_text("\n".join(lines) + "\n")


def generate(root: Path, sessions: int, mb: float, seed: int = 0) -> int:
    rng = random.Random(seed)
    project = root / "-work-p"
    project.mkdir(parents=True)
    for i in range(sessions):
        kind = "damaged" if i % 20 == 7 else "interrupted" if i % 20 == 13 else "healthy"
        _session(project / f"{i:08d}-1111-4111-8111-111111111111.jsonl", int(mb * 1_000_000), kind, rng)
    return sum(p.stat().st_size for p in project.iterdir())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--mb", type=float, default=1.0, help="approximate size of each session file")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-doctor-") as tmp:
        root = Path(tmp)
        total = generate(root, args.sessions, args.mb)
        files = session_files(root)
        t0 = time.perf_counter()
        for p in files:
            with p.open("rb") as fh:
                for raw in fh:
                    orjson.loads(raw)
        parse_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        statuses: dict[str, int] = {}
        notes = 0
        for p in files:
            report = diagnose_file(p)
            statuses[report.status] = statuses.get(report.status, 0) + 1
            notes += len(report.notes)
        doctor_s = time.perf_counter() - t0
    mb_total = total / 1e6
    print(f"{len(files)} sessions, {mb_total:.1f} MB in all; statuses {statuses}, {notes} notes")
    rate = f"{mb_total / doctor_s:7.1f} MB/s  {len(files) / doctor_s:7.1f} sessions/s"
    print(f"doctor:            {doctor_s:7.2f} s  {rate}")
    ratio = f"(doctor / parse = {doctor_s / parse_s:.2f}x)"
    print(f"bare orjson parse: {parse_s:7.2f} s  {mb_total / parse_s:7.1f} MB/s  {ratio}")
    print(f"1,000 sessions of 1 MB at this rate: {1000 / (mb_total / doctor_s):.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
