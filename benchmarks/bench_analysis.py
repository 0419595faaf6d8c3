"""Cost of the analysis core relative to a bare `orjson.loads` of the same request body.

Run with plain `python benchmarks/bench_analysis.py` (add `--quick` for a short run). For each generated
transcript (tool loops of 1 to 500 turns, 10 KB to 10 MB, large text and base64 blocks, and the plain
tool loop of bench_overhead.py) it prints the
body size, the time of `orjson.loads(body)` alone, the time of the full `claude_otel.core.analyze(body)`
(which includes its own parse), and their ratio. Both are measured in the same run, interleaved, and the
minimum over repetitions is kept (the machine is shared, the minimum is the least noisy estimate).
Target: ratio <= 1.3 at every size. `analyze` reuses the tools[] check for a tool set seen before, the
request-level checks for settings seen before, and remembers tool ids already seen to be valid (agents
resend the same tools, settings and whole history on every request). The "new conv." columns forget the
tool ids before every call (a history none of whose ids this process has seen: a new conversation's first
request, or a conversation that moved to another replica; its tool set and settings known); the "cold"
columns forget everything (the first request a process sees with that tool set).
The header names the walker in use (the mypyc-compiled one when built and current, see
claude_otel/core/_native.py); with the compiled walker a "pure" column times `analyze` with the pure-Python
walker in the same run (CLAUDE_OTEL_PURE_PYTHON=1 runs everything pure).
"""

from __future__ import annotations

import argparse
import base64
import os
import random
import sys
import time
from collections.abc import Callable

import orjson

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import claude_code_bodies as cc  # Claude Code-shaped bodies and the real-client corpus (same folder)
from bench_overhead import make_body  # the same body as the overhead benchmark (same folder)

from claude_otel.core import NATIVE, NATIVE_STATUS, _caches, analysis, analyze, clear_caches, conversations
from claude_otel.core._native import use_compiled

WORDS = [
    "the",
    "quick",
    "brown",
    "fox",
    "jumps",
    "over",
    "a",
    "lazy",
    "dog",
    "while",
    "tool",
    "results",
    "stream",
    "back",
    "into",
    "the",
    "agent",
    "loop",
    "def",
    "main():",
    "return",
    "0",
    "import",
    "os",
    "sys",
    "json",
    "error",
    "warning",
    "build",
    "passed",
    "failed",
    "line",
    "column",
]


def prose(rng: random.Random, n: int) -> str:
    out: list[str] = []
    size = 0
    while size < n:
        w = rng.choice(WORDS)
        out.append(w)
        size += len(w) + 1
    return " ".join(out)


def b64(rng: random.Random, n_bytes: int) -> str:
    return base64.b64encode(rng.randbytes(n_bytes)).decode()


TOOL_NAMES = [
    "Bash",
    "Read",
    "Edit",
    "Write",
    "Glob",
    "Grep",
    "TodoWrite",
    "WebFetch",
    "Task",
    "NotebookEdit",
    "mcp__github__create_issue",
    "mcp__linear__search",
]


def tools(rng: random.Random, description_chars: int = 300) -> list[dict]:
    out = []
    for k, name in enumerate(TOOL_NAMES):
        out.append(
            {
                "name": name,
                "description": prose(rng, description_chars),
                "input_schema": {
                    "type": "object",
                    "properties": {
                        "arg": {"type": "string", "description": prose(rng, 80)},
                        "flag": {"type": "boolean"},
                    },
                    "required": ["arg"],
                },
                **({"defer_loading": True} if k >= 10 else {}),
            }
        )
    return out


def transcript(
    turns: int,
    result_chars: int,
    image_every: int = 0,
    image_bytes: int = 0,
    parallel: int = 1,
    seed: int = 1,
    system_chars: int = 2000,
    description_chars: int = 300,
) -> bytes:
    rng = random.Random(seed)
    messages: list[dict] = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "<system-reminder>" + prose(rng, 400) + "</system-reminder>"},
                {"type": "text", "text": prose(rng, 200)},
            ],
        }
    ]
    for t in range(turns):
        ids = [f"toolu_{t:04d}{p:02d}{rng.getrandbits(40):010x}" for p in range(parallel)]
        messages.append(
            {
                "role": "assistant",
                "content": [
                    {"type": "thinking", "thinking": prose(rng, 300), "signature": b64(rng, 200)},
                    {"type": "text", "text": prose(rng, 120)},
                    *(
                        {
                            "type": "tool_use",
                            "id": i,
                            "name": rng.choice(TOOL_NAMES[:10]),
                            "input": {"arg": prose(rng, 60), "flag": True},
                        }
                        for i in ids
                    ),
                ],
            }
        )
        results: list[dict] = []
        for i in reversed(ids):  # completion order
            content: list[dict] = [{"type": "text", "text": prose(rng, result_chars)}]
            if image_every and t % image_every == 0:
                content.append(
                    {
                        "type": "image",
                        "source": {
                            "type": "base64",
                            "media_type": "image/png",
                            "data": b64(rng, image_bytes),
                        },
                    }
                )
            results.append({"type": "tool_result", "tool_use_id": i, "content": content})
        messages.append({"role": "user", "content": results})
    body = {
        "model": "claude-opus-4-6",
        "max_tokens": 32000,
        "stream": True,
        "system": [
            {"type": "text", "text": prose(rng, system_chars), "cache_control": {"type": "ephemeral"}}
        ],
        "tools": tools(rng, description_chars),
        "thinking": {"type": "adaptive"},
        "metadata": {"user_id": "user_0123"},
        "messages": messages,
    }
    return orjson.dumps(body)


CASES: list[tuple[str, Callable[[], bytes]]] = [
    ("1 turn, small", lambda: transcript(1, 200)),
    ("1 turn, 10 KB-ish", lambda: transcript(1, 1500)),
    ("10 turns", lambda: transcript(10, 6000)),
    # Claude-Code-like: long system prompt and tool descriptions, file-sized tool results
    ("30 turns, agent-like", lambda: transcript(30, 4000, system_chars=20000, description_chars=2500)),
    ("50 turns + images", lambda: transcript(50, 12000, image_every=10, image_bytes=150_000)),
    ("100 turns, 3 parallel", lambda: transcript(100, 3000, parallel=3)),
    ("200 turns + images", lambda: transcript(200, 6000, image_every=20, image_bytes=600_000)),
    ("500 turns, tiny results", lambda: transcript(500, 80)),
    ("500 turns, 10 MB", lambda: transcript(500, 12000, image_every=50, image_bytes=600_000)),
    ("plain tool loop, 200 KB", lambda: make_body(200_000, False)),  # bench_overhead.py's body
]


def best_of(fn: Callable[[], object], budget: float, min_reps: int = 3) -> float:
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < min_reps or time.perf_counter() - start < budget:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        if len(times) > 20000:
            break
    return min(times)


def _new_conversation_analyze(raw: bytes) -> object:
    _caches.GOOD_IDS.clear()  # tool ids never seen before; the tool set and settings already seen
    return analyze(raw)


def _cold_analyze(raw: bytes) -> object:
    clear_caches()  # as for the first request carrying a tool set, with tool ids never seen before
    return analyze(raw)


def _pure_analyze(raw: bytes) -> object:
    use_compiled(False)
    try:
        return analyze(raw)
    finally:
        use_compiled(True)


def measure(
    raw: bytes, budget: float, rounds: int, pure_column: bool
) -> tuple[float, float, float, float, float]:
    loads_t = analyze_t = new_t = cold_t = pure_t = float("inf")
    for _ in range(rounds):  # interleave to share any background noise
        loads_t = min(loads_t, best_of(lambda: orjson.loads(raw), budget))
        analyze_t = min(analyze_t, best_of(lambda: analyze(raw), budget))
        new_t = min(new_t, best_of(lambda: _new_conversation_analyze(raw), budget))
        cold_t = min(cold_t, best_of(lambda: _cold_analyze(raw), budget))
        if pure_column:
            pure_t = min(pure_t, best_of(lambda: _pure_analyze(raw), budget))
    return loads_t, analyze_t, new_t, cold_t, pure_t


def _no_memory(fn: Callable[[], object]) -> Callable[[], object]:
    def run() -> object:
        analysis._INCREMENTAL = False
        try:
            return fn()
        finally:
            analysis._INCREMENTAL = True

    return run


def real_client_rows(budget: float, rounds: int) -> None:
    """Claude Code-shaped bodies (and the recorded corpus): each as a request of a conversation this
    process has not seen before. "analyze" runs without the conversation memory (the fast path); "+memory"
    with it, forgotten before every call (a new conversation: the lookup, its key noted; the time of the
    forgetting itself, measured alone, is taken off; bodies under conversations.MIN_BYTES never reach the
    memory, so the bookkeeping figure leaves them out)."""
    rows = [*cc.corpus(), *cc.bodies()]
    print(
        f"\nClaude Code-shaped and real-client bodies ({len(cc.corpus())} recorded in {cc.CORPUS_DIR.name}/)"
    )
    print(
        f"{'body':<34} {'bytes':>9} {'orjson.loads':>13} {'analyze':>13} {'ratio':>6}"
        f" {'+memory':>13} {'ratio':>6}"
    )
    clear_t = best_of(conversations.MEMORY.clear, budget)
    ratios: dict[str, list[float]] = {}  # by group: the recorded client, or "generated"
    overheads: list[float] = []
    for name, raw in rows:
        a = analyze(raw)
        fast = "" if a.decoded is not None else " (full path)"

        def fresh(raw: bytes = raw) -> object:
            conversations.MEMORY.clear()
            return analyze(raw)

        loads_t = an_t = mem_t = float("inf")
        for _ in range(rounds):
            loads_t = min(loads_t, best_of(lambda raw=raw: orjson.loads(raw), budget))
            an_t = min(an_t, best_of(_no_memory(lambda raw=raw: analyze(raw)), budget))
            mem_t = min(mem_t, best_of(fresh, budget))
        mem_t -= clear_t  # (forgetting the memory is the benchmark's doing, not a request's)
        group = name.split("/")[0] if "/" in name else "generated (claude_code_bodies.py)"
        ratios.setdefault(group, []).append(an_t / loads_t)
        if len(raw) >= conversations.MIN_BYTES:  # (smaller bodies never reach the memory)
            overheads.append(mem_t / an_t)
        print(
            f"{(name + fast)[:34]:<34} {len(raw):>9,} {fmt_t(loads_t):>13} {fmt_t(an_t):>13}"
            f" {an_t / loads_t:>6.2f} {fmt_t(mem_t):>13} {mem_t / loads_t:>6.2f}"
        )
    for group, rs in ratios.items():
        rs.sort()
        target = " (targets: median <= 0.6, worst <= 1.0)" if group.startswith("claude-code") else ""
        print(f"{group}: {len(rs)} bodies, median ratio {rs[len(rs) // 2]:.2f}, worst {rs[-1]:.2f}{target}")
    overheads.sort()
    print(
        f"memory bookkeeping for a new conversation ({len(overheads)} bodies of"
        f" {conversations.MIN_BYTES // 1024} KB or more): median {overheads[len(overheads) // 2]:.3f}x,"
        f" worst {overheads[-1]:.3f}x (target <= 1.05)"
    )


def steady_state_rows(budget: float, rounds: int, quick: bool) -> None:
    """A long Claude Code-shaped session (up to 500 turns): each request is the previous one plus one
    turn. Per request: orjson.loads of the body, analyze without the memory (cold), and analyze with it
    (the previous request analysed just before: only the new turns are walked)."""
    history = cc.session(500, result_chars=2500)
    print("\nsteady state of a Claude Code-shaped session (each request = the previous one + one turn)")
    print(
        f"{'at':<10} {'turns':>5} {'bytes':>10} {'orjson.loads':>13} {'cold':>13} {'ratio':>6}"
        f" {'incremental':>13} {'ratio':>6}"
    )
    cuts = [i + 1 for i, m in enumerate(history) if m["role"] == "user" and i >= 2]
    for label, target in (("200 KB", 200_000), ("2 MB", 2_000_000), ("500 turns", None)):
        sizes = [(cut, len(cc.request(history[:cut]))) for cut in cuts[:: max(1, len(cuts) // 60)]]
        if target is None:
            start = len(cuts) - 9
        else:
            near = min(sizes, key=lambda cs: abs(cs[1] - target))[0]
            start = max(0, cuts.index(near) - 4)
        seq = [cc.request(history[:cut]) for cut in cuts[start : start + 9]]
        per: dict[int, list[float]] = {}  # request -> best [loads, cold, incremental]
        for _ in range(rounds):  # modes interleaved, request by request
            conversations.MEMORY.clear()
            for k, raw in enumerate(seq):
                if k < 2:  # the first request is cold, the second finds the layout
                    analyze(raw)
                    continue
                best = per.setdefault(k, [float("inf")] * 3)
                best[0] = min(best[0], best_of(lambda raw=raw: orjson.loads(raw), budget / 4))
                best[1] = min(best[1], best_of(_no_memory(lambda raw=raw: analyze(raw)), budget / 4))
                for _ in range(3 if quick else 9):
                    analyze(seq[k - 1])  # untimed: the checkpoint this request continues
                    t0 = time.perf_counter()
                    analyze(raw)
                    best[2] = min(best[2], time.perf_counter() - t0)
        ks = sorted(per)
        mid = per[ks[len(ks) // 2]]  # the median request of the window, its three figures
        cold_r = sorted(per[k][1] / per[k][0] for k in ks)[len(ks) // 2]
        inc_r = sorted(per[k][2] / per[k][0] for k in ks)[len(ks) // 2]
        raw = seq[ks[len(ks) // 2]]
        print(
            f"{label:<10} {start + ks[len(ks) // 2] + 1:>5} {len(raw):>10,} {fmt_t(mid[0]):>13}"
            f" {fmt_t(mid[1]):>13} {cold_r:>6.2f} {fmt_t(mid[2]):>13} {inc_r:>6.2f}"
        )
    print(f"resumed analyses in this run: {conversations.MEMORY.resumed} (target: incremental ratio <= 0.2)")


def fmt_t(s: float) -> str:
    return f"{s * 1e6:9.1f} us" if s < 1e-3 else f"{s * 1e3:9.2f} ms"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="shorter measurement (noisier)")
    ap.add_argument(
        "--no-pure", action="store_true", help="skip the pure-Python column (when the compiled walker runs)"
    )
    ap.add_argument(
        "--only",
        choices=("transcripts", "clients", "steady"),
        help="run one table: the generated transcripts, the real-client bodies, or the steady state",
    )
    args = ap.parse_args()
    budget, rounds = (0.15, 2) if args.quick else (0.4, 3)
    pure_column = NATIVE and not args.no_pure
    print(f"walker: {NATIVE_STATUS}")
    if args.only != "transcripts" and args.only is not None:
        if args.only == "clients":
            real_client_rows(budget, rounds)
        else:
            steady_state_rows(budget, rounds, args.quick)
        return 0
    print(
        f"{'transcript':<26} {'messages':>8} {'bytes':>12} {'orjson.loads':>13} {'analyze':>13} {'ratio':>6}"
        f" {'new conv.':>13} {'ratio':>6} {'cold':>13} {'ratio':>6}"
        + (f" {'pure':>13} {'ratio':>6}" if pure_column else "")
    )
    worst = worst_pure = 0.0
    analysis._INCREMENTAL = False  # each body analysed again and again: the memory would resume it
    for name, make in CASES:
        raw = make()
        a = analyze(raw)
        assert a.parse_error is None, a.parse_error
        loads_t, analyze_t, new_t, cold_t, pure_t = measure(raw, budget, rounds, pure_column)
        ratio = analyze_t / loads_t
        worst = max(worst, ratio)
        line = (
            f"{name:<26} {a.shape.message_count:>8} {len(raw):>12,}"
            f" {fmt_t(loads_t):>13} {fmt_t(analyze_t):>13} {ratio:>6.2f}"
            f" {fmt_t(new_t):>13} {new_t / loads_t:>6.2f} {fmt_t(cold_t):>13} {cold_t / loads_t:>6.2f}"
        )
        if pure_column:
            worst_pure = max(worst_pure, pure_t / loads_t)
            line += f" {fmt_t(pure_t):>13} {pure_t / loads_t:>6.2f}"
        print(line)
    pure_note = f"; with the pure walker: {worst_pure:.2f}" if pure_column else ""
    print(f"worst ratio: {worst:.2f} (target <= 1.30){pure_note}")
    analysis._INCREMENTAL = True
    if args.only == "transcripts":
        return 0
    real_client_rows(budget, rounds)
    steady_state_rows(budget, rounds, args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
