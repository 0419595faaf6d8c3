"""CPU per request through the anthropic SDK as instruction counts (callgrind): figures that do not move
with the load of a shared machine.

    python benchmarks/bench_cpu.py [--sizes 200000] [--requests 10] [--rounds 1]
                                   [--conversation steady,fresh] [--native-rounds 15] [--native-requests 40]
                                   [--small 3000] [--keep-dumps DIR]

The requests of ``bench_overhead.py --client anthropic`` (its server, in a process of its own and not under
valgrind, its bodies, headers and SDK loop), sent by one child process that runs under
``valgrind --tool=callgrind``, in five modes: ``bare`` (the SDK with no tracer provider anywhere: its call
span is not recording, and dropped), ``sdk-tracing`` (the SDK's own call span, ``anthropic.messages.create``,
recorded by an OpenTelemetry SDK ``TracerProvider`` given as the client's ``open_telemetry`` option,
exported nowhere), ``otel`` (that, plus OpenTelemetry's ``HTTPX2ClientInstrumentor`` on the same provider),
``c-o inline`` and ``c-o overlap`` (that, plus ``claude_otel.instrument(analysis="inline"|"overlap")``).
Conversations: ``steady`` re-sends the same body, so each analysis resumes from the previous one's
checkpoint, as for the next turn of a long conversation; ``fresh`` forgets the conversation memory before
every request. Responses: JSON and SSE.

How it counts: a small C library of callgrind's client requests (``callgrind.h``), compiled with gcc on first
use into a cache directory under the system's temporary directory and loaded with ctypes. The child starts
with instrumentation off (``--instr-atstart=no``: imports and warm-up run at valgrind's base speed); for each
batch it switches modes, warms up (uncounted), runs ``gc.collect()``, switches instrumentation on, zeroes the
counters, sends the batch, waits for claude-otel's analysis thread to finish the batch's last job
(``bench_overhead.drain``), dumps the counters under the batch's name and switches instrumentation off.
Counters are zeroed and dumped for all threads together (the analysis thread counts); collection is never
toggled, because callgrind keeps that state per thread (a toggle in the main thread does not reach the
analysis thread). The parent reads the dumps' ``totals:`` lines (event ``Ir``: instructions executed).
Callgrind counts user-space instructions only: the kernel's work (socket I/O, the futex calls and context
switch of the overlap mode's hand-off to the analysis thread) is not in the counts. Two runs of 10 requests
at 200 KB, one after the other, agreed within 0.44% on every count and within 0.12 M instructions per
request on what each layer adds (part of it is the heap: whether a large ``realloc`` grows in place).

Milliseconds are an **estimate** from a calibration, not a measurement of each mode: the same parent, not
under valgrind, times the ``bare`` loop of each body and response kind (process CPU per request, the minimum
of ``--native-rounds`` rounds) and divides it by ``bare``'s instructions per request; the result, ns per
instruction on this machine, converts every count (process CPU includes the kernel's, for the socket I/O,
which callgrind does not count: it is spread over the instructions). Instructions do not all cost the same
time: at 200 KB much of ``bare``'s work is bulk copying of bytes (many instructions per ns), while
claude-otel's hooks are mostly interpreted Python. So a second line converts with ``bare`` on a small body
(``--small``, 3 KB: mostly the SDK's interpreted Python), whose instructions took about twice as long each
as those of ``bare`` at 200 KB with JSON responses here (about as long with SSE); the two lines probably
bracket the cost. Targets (issue 17): what claude-otel adds over ``otel`` in the steady state at most what
the SDK's own tracing adds over ``bare``, and at most 0.5 ms; at most 1 ms for a fresh conversation.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_overhead as bo  # (the server, the bodies, the headers and the SDK loop)

MODES = ("bare", "sdk-tracing", "otel", "c-o inline", "c-o overlap")
# how bench_overhead instruments the process for each mode (the SDK's own spans are the client's option)
INSTRUMENT = {
    "bare": "bare",
    "sdk-tracing": "bare",
    "otel": "otel",
    "c-o inline": "c-o inl",
    "c-o overlap": "c-o ovl",
}
CALLGRIND_H = "/usr/include/valgrind/callgrind.h"
LIB_SOURCE = """\
#include <valgrind/callgrind.h>
void cg_start(void) { CALLGRIND_START_INSTRUMENTATION; }
void cg_stop(void) { CALLGRIND_STOP_INSTRUMENTATION; }
void cg_zero(void) { CALLGRIND_ZERO_STATS; }
void cg_dump(const char *name) { CALLGRIND_DUMP_STATS_AT(name); }
int cg_running(void) { return RUNNING_ON_VALGRIND; }
"""
DUMP_PREFIX = "desc: Trigger: Client Request: "  # a dump's line naming the client request's label
TARGET_STEADY_MS = 0.5
TARGET_FRESH_MS = 1.0


def missing_tools() -> list[str]:
    """What this benchmark needs and the machine lacks (valgrind, gcc, callgrind.h)."""
    missing = [tool for tool in ("valgrind", "gcc") if shutil.which(tool) is None]
    if not os.path.exists(CALLGRIND_H):
        missing.append(CALLGRIND_H)
    return missing


def build_lib() -> str:
    """The client-request library, compiled once per source text into a cache under the temp directory."""
    cache = Path(tempfile.gettempdir()) / "claude-otel-bench-cpu"
    cache.mkdir(exist_ok=True)
    lib = cache / f"callgrind-{hashlib.sha256(LIB_SOURCE.encode()).hexdigest()[:12]}.so"
    if not lib.exists():
        src = cache / f"callgrind-{os.getpid()}.c"
        tmp = cache / f"callgrind-{os.getpid()}.so"
        src.write_text(LIB_SOURCE)
        subprocess.run(["gcc", "-shared", "-fPIC", "-O1", "-o", str(tmp), str(src)], check=True)
        os.replace(tmp, lib)  # atomic: a concurrent run sees the whole library or none
        src.unlink()
    return str(lib)


def label(mode: str, size: int, stream: bool, conversation: str, round_: int) -> str:
    return f"{mode}|{size}|{'sse' if stream else 'json'}|{conversation}|{round_}"


def child(args: argparse.Namespace) -> None:
    """Under callgrind: every batch, its counters dumped under its label."""
    import anthropic
    from opentelemetry.sdk.trace import TracerProvider

    from claude_otel.instrumentation import hooks, worker

    cg = ctypes.CDLL(args.lib)
    if not cg.cg_running():
        sys.exit("bench_cpu --child must run under valgrind --tool=callgrind")
    base = args.child
    tp = TracerProvider()  # spans are created and ended, exported nowhere
    bare = anthropic.Anthropic(base_url=base, api_key="bench", max_retries=0)
    traced = anthropic.Anthropic(
        base_url=base, api_key="bench", max_retries=0, open_telemetry={"tracer_provider": tp}
    )
    # the analysis thread, started before any batch: every batch's drain() then queues and waits for the
    # same no-op job, whatever the mode (a thread started inside a batch would count in that batch only)
    hooks._WORKER.enqueue(worker.Job(lambda: None))
    # the process's first requests cost more (lazily built state in the SDK, OpenTelemetry and
    # claude-otel): uncounted, every mode, both response kinds, before the first batch
    for stream in (False, True):
        body = bo.make_body(int(args.sizes.split(",")[0]), stream)
        for mode in MODES:
            bo.instrument_mode(INSTRUMENT[mode], tp, base)
            bo.run_sdk_loop(bare if mode == "bare" else traced, body, stream, args.process_warmup)
    bo.instrument_mode("bare", tp, base)
    for stream in (False, True):  # bare with a small body: the second calibration
        body = bo.make_body(args.small, stream)
        bo.run_sdk_loop(bare, body, stream, args.warmup)
        gc.collect()
        cg.cg_start()
        cg.cg_zero()
        bo.run_sdk_loop(bare, body, stream, args.requests)
        cg.cg_dump(label("bare", args.small, stream, "calibration", 0).encode())
        cg.cg_stop()
    for size in [int(s) for s in args.sizes.split(",")]:
        for stream in (False, True):
            body = bo.make_body(size, stream)
            for conversation in args.conversation.split(","):
                bo.FRESH = conversation == "fresh"
                for round_ in range(args.rounds):
                    for mode in MODES:
                        client = bare if mode == "bare" else traced
                        bo.instrument_mode(INSTRUMENT[mode], tp, base)
                        bo.run_sdk_loop(client, body, stream, args.warmup)  # uncounted
                        gc.collect()
                        cg.cg_start()
                        cg.cg_zero()
                        bo.run_sdk_loop(client, body, stream, args.requests)  # ends with drain()
                        cg.cg_dump(label(mode, size, stream, conversation, round_).encode())
                        cg.cg_stop()
    bo.instrument_mode("bare", tp, base)


def read_dumps(outdir: str) -> dict[str, int]:
    """Instructions per dump, by label (``totals:``, else ``summary:``; the first event is Ir)."""
    counts: dict[str, int] = {}
    for path in Path(outdir).glob("callgrind.out*"):
        name = total = None
        with open(path, errors="replace") as f:
            for line in f:
                if line.startswith(DUMP_PREFIX):
                    name = line[len(DUMP_PREFIX) :].strip()
                elif line.startswith("events:"):
                    if line.split()[1] != "Ir":
                        raise SystemExit(f"{path}: first event is not Ir: {line.strip()}")
                elif line.startswith(("totals:", "summary:")):
                    value = int(line.split()[1])
                    if total is None or line.startswith("totals:"):
                        total = value
        if name is not None and "|" in name and total is not None:
            counts[name] = total
    return counts


def native_bare(client: Any, body: bytes, stream: bool, rounds: int, n: int) -> float:
    """Process CPU per request of the bare SDK loop, not under valgrind (seconds; the minimum of rounds)."""
    bo.FRESH = False
    bo.run_sdk_loop(client, body, stream, 3)
    cpu = []
    for _ in range(rounds):
        gc.collect()
        bo.run_sdk_loop(client, body, stream, n)
        cpu.append(bo.CPU[-1])
    return min(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="200000", help="body sizes in bytes, comma-separated")
    parser.add_argument("--requests", type=int, default=10, help="requests per counted batch (default 10)")
    parser.add_argument("--warmup", type=int, default=2, help="uncounted requests before each batch")
    parser.add_argument(
        "--process-warmup", type=int, default=10, help="uncounted requests per mode before the first batch"
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="batches per mode; with 2 or more the spread is printed"
    )
    parser.add_argument("--conversation", default="steady,fresh", help="steady, fresh or both (default)")
    parser.add_argument("--native-rounds", type=int, default=15, help="rounds of the native calibration")
    parser.add_argument("--native-requests", type=int, default=40, help="requests per native round")
    parser.add_argument(
        "--small",
        type=int,
        default=3000,
        help="body size of the second calibration (default 3000 bytes: the SDK's own Python work per"
        " request, with little bulk copying of body bytes)",
    )
    parser.add_argument(
        "--keep-dumps",
        default=None,
        metavar="DIR",
        help="write callgrind's dumps (one per batch, named by mode) into DIR and keep them, for"
        " callgrind_annotate; by default they go to a temporary directory, removed at the end",
    )
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--lib", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args)
        return
    conversations = args.conversation.split(",")
    if not set(conversations) <= {"steady", "fresh"}:
        parser.error("--conversation: steady, fresh or steady,fresh")
    missing = missing_tools()
    if missing:
        sys.exit(f"bench_cpu needs {', '.join(missing)} (Debian: apt-get install valgrind gcc libc6-dev)")
    lib = build_lib()

    import anthropic

    proc, base = bo.start_server()
    if args.keep_dumps:
        os.makedirs(args.keep_dumps, exist_ok=True)
        if any(Path(args.keep_dumps).glob("callgrind.out*")):
            sys.exit(f"--keep-dumps: {args.keep_dumps} already holds callgrind dumps")
    outdir = args.keep_dumps or tempfile.mkdtemp(prefix="bench-cpu-")
    try:
        sizes = [int(s) for s in args.sizes.split(",")]
        native: dict[tuple[int, bool], float] = {}
        lengths: dict[tuple[int, bool], int] = {}
        with anthropic.Anthropic(base_url=base, api_key="bench", max_retries=0) as client:
            for size in [*sizes, args.small]:
                for stream in (False, True):
                    body = bo.make_body(size, stream)
                    lengths[size, stream] = len(body)
                    native[size, stream] = native_bare(
                        client, body, stream, args.native_rounds, args.native_requests
                    )
        cmd = [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            "--collect-atstart=yes",
            f"--callgrind-out-file={outdir}/callgrind.out",
            f"--log-file={outdir}/valgrind.log",
            sys.executable,
            __file__,
            "--child",
            base,
            "--lib",
            lib,
            "--sizes",
            args.sizes,
            "--requests",
            str(args.requests),
            "--warmup",
            str(args.warmup),
            "--process-warmup",
            str(args.process_warmup),
            "--rounds",
            str(args.rounds),
            "--conversation",
            args.conversation,
            "--small",
            str(args.small),
        ]
        env = {**os.environ, "PYTHONHASHSEED": "0"}  # the same hashes, so the same dict layouts, every run
        out = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if out.returncode != 0:
            log = Path(outdir, "valgrind.log")
            sys.exit(
                f"the callgrind child failed ({out.returncode}):\n{out.stderr[-3000:]}\n"
                + (log.read_text()[-2000:] if log.exists() else "")
            )
        counts = read_dumps(outdir)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if not args.keep_dumps:
            shutil.rmtree(outdir, ignore_errors=True)
    report(args, conversations, sizes, lengths, native, counts)


def report(
    args: argparse.Namespace,
    conversations: list[str],
    sizes: list[int],
    lengths: dict[tuple[int, bool], int],
    native: dict[tuple[int, bool], float],
    counts: dict[str, int],
) -> None:
    variants = [(size, stream, conv) for size in sizes for stream in (False, True) for conv in conversations]
    per: dict[tuple[int, bool, str], dict[str, float]] = {}
    spread = 0.0
    for size, stream, conv in variants:
        row: dict[str, float] = {}
        for mode in MODES:
            runs = [counts.get(label(mode, size, stream, conv, r)) for r in range(args.rounds)]
            if any(c is None for c in runs):
                sys.exit(f"no callgrind dump for {mode} {size} {'sse' if stream else 'json'} {conv}")
            values = [c / args.requests for c in runs if c is not None]
            row[mode] = min(values)
            spread = max(spread, (max(values) - min(values)) / min(values))
        per[size, stream, conv] = row
    import anthropic

    head = f"{'body':>7} {'resp':>5} {'conv':>7}"

    def key(size: int, stream: bool, conv: str) -> str:
        return f"{lengths[size, stream] / 1000:>5.0f}KB {'sse' if stream else 'json':>5} {conv:>7}"

    print(
        f"\nInstructions per request (callgrind Ir, all threads), anthropic {anthropic.__version__} client,"
        f" {args.requests} requests per batch after {args.warmup} uncounted, {args.rounds} round(s)"
        + (f"; largest spread between rounds {spread * 100:.3f}%" if args.rounds > 1 else "")
    )
    print(f"{head} {'bare':>12} {'sdk-tracing':>12} {'otel':>12} {'c-o inline':>12} {'c-o overlap':>12}")
    for v in variants:
        r = per[v]
        print(key(*v) + "".join(f" {r[m]:>12.0f}" for m in MODES), flush=True)

    print(
        "\nInstructions each layer adds per request (claude-otel: over otel), and claude-otel / sdk-tracing"
    )
    print(
        f"{head} {'sdk-tracing+':>12} {'otel+':>12} {'c-o inline+':>12} {'c-o overlap+':>12}"
        f" {'inl/sdk':>8} {'ovl/sdk':>8}"
    )
    added: dict[tuple[int, bool, str], dict[str, float]] = {}
    for v in variants:
        r = per[v]
        a = added[v] = {
            "sdk-tracing": r["sdk-tracing"] - r["bare"],
            "otel": r["otel"] - r["sdk-tracing"],
            "c-o inline": r["c-o inline"] - r["otel"],
            "c-o overlap": r["c-o overlap"] - r["otel"],
        }
        sdk = a["sdk-tracing"] or float("nan")
        print(
            key(*v)
            + "".join(f" {a[m]:>12.0f}" for m in ("sdk-tracing", "otel", "c-o inline", "c-o overlap"))
            + f" {a['c-o inline'] / sdk:>8.2f} {a['c-o overlap'] / sdk:>8.2f}",
            flush=True,
        )

    small_ir = {
        stream: counts[label("bare", args.small, stream, "calibration", 0)] / args.requests
        for stream in (False, True)
    }
    print(
        f"\nEstimated CPU ms per request (an estimate from a calibration, not a measurement of each mode):"
        f" instructions x ns per instruction, where ns per instruction is the native (not under valgrind)"
        f" process CPU per request of `bare`, the minimum of {args.native_rounds} rounds of"
        f" {args.native_requests} in this run, divided by its instructions per request. First line: `bare`"
        f" with the same body, whose instructions include much bulk copying of bytes (many instructions per"
        f" ns); second line (@): `bare` with a {lengths[args.small, False] / 1000:.0f} KB body, whose"
        f" instructions are mostly interpreted Python, as claude-otel's hooks are. The two lines probably"
        f" bracket the cost. Targets for what claude-otel adds: steady <= sdk-tracing+ and"
        f" <= {TARGET_STEADY_MS} ms; fresh <= {TARGET_FRESH_MS} ms"
    )
    print(
        f"{head} {'ns/instr':>8} {'bare ms':>8} {'sdk-tr+':>8} {'otel+':>8} {'c-o inl+':>8} {'c-o ovl+':>8}"
        f"  {'target':<26} {'inline':>6} {'overlap':>7}"
    )
    for v in variants:
        size, stream, conv = v
        r, a = per[v], added[v]
        calibrations = (
            (key(*v), native[size, stream] * 1e9 / r["bare"]),
            (
                f"{'':>13} {'@' + format(lengths[args.small, stream] / 1000, '.0f') + 'KB':>7}",
                native[args.small, stream] * 1e9 / small_ir[stream],
            ),
        )
        for first, ns in calibrations:

            def ms(instructions: float, ns: float = ns) -> float:
                return instructions * ns / 1e6

            if conv == "steady":
                target = f"<= sdk-tr+ ({ms(a['sdk-tracing']):.3f}), <= {TARGET_STEADY_MS}"
                limit = min(a["sdk-tracing"], TARGET_STEADY_MS * 1e6 / ns)
            else:
                target = f"<= {TARGET_FRESH_MS}"
                limit = TARGET_FRESH_MS * 1e6 / ns
            verdict = ["met" if a[m] <= limit else "MISSED" for m in ("c-o inline", "c-o overlap")]
            print(
                first
                + f" {ns:>8.3f} {ms(r['bare']):>8.3f}"
                + "".join(f" {ms(a[m]):>8.3f}" for m in ("sdk-tracing", "otel", "c-o inline", "c-o overlap"))
                + f"  {target:<26} {verdict[0]:>6} {verdict[1]:>7}",
                flush=True,
            )


if __name__ == "__main__":
    main()
