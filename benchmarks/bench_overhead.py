"""Per-request overhead of claude-otel vs bare httpx2 vs the standard OpenTelemetry httpx instrumentation.

    python benchmarks/bench_overhead.py [--requests N] [--rounds R] [--sizes 10000,200000,2000000]
                                        [--latency-ms 0,20] [--client httpx2|anthropic]

The same request loop (valid Messages API bodies of ~10 KB, ~200 KB and ~2 MB, answered with JSON and
with an SSE stream) runs against a local server in a separate process, in five modes interleaved
round by round: ``bare`` (no instrumentation), ``otel`` (HTTPX2ClientInstrumentor, spans recorded, no
exporter), and claude-otel (the same plus claude-otel's hooks, metrics and response tee) with
``analysis="inline"`` (``c-o inl``), with ``analysis="overlap"``, the default (``c-o ovl``), and
``hooks``: inline, with ``analyze()`` answered from a memo of this very body's analysis, so that it costs
what everything *around* the analysis costs (request and response hooks, span attributes, metrics with
exemplars, the cross-turn check, the response tee and observer). Prints the median (``--stat min``: the
minimum) per-request time of each mode and the ratios, all measured in this one run, plus the time of
the analysis core alone (``claude_otel.core.analyze`` on the same body; ``analyze()`` with the garbage
collector as the process has it, ``no-gc`` paused around it as the hooks run it), and for each row the 5%
budget against what the hooks alone and the analysis alone cost; ``genai``: the GenAI metrics of one
response alone (tokens, duration, time to first token on Prometheus and an OTel SDK MeterProvider; part
of every c-o mode). ``--latency-ms`` (a comma-separated list, one table each) makes the server wait
before answering, like a real API; 0, the default, is the worst case for claude-otel: nothing to overlap
the analysis with. ``--client anthropic`` sends the same requests through the official SDK
(``messages.create`` and ``messages.stream``), which builds the request bytes itself.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MESSAGE = {
    "id": "msg_bench",
    "type": "message",
    "role": "assistant",
    "model": "claude-opus-4-6",
    "content": [
        {"type": "text", "text": "Checking."},
        {"type": "tool_use", "id": "toolu_bench", "name": "lookup", "input": {"q": "x"}},
    ],
    "stop_reason": "tool_use",
    "stop_sequence": None,
    "usage": {"input_tokens": 100, "output_tokens": 20},
}


def sse_body() -> bytes:
    start = {**MESSAGE, "content": [], "stop_reason": None}
    events: list[tuple[str, dict]] = [("message_start", {"type": "message_start", "message": start})]
    events.append(
        (
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        )
    )
    for i in range(40):
        events.append(
            (
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": f"word{i} "},
                },
            )
        )
    events.append(("content_block_stop", {"type": "content_block_stop", "index": 0}))
    events.append(
        (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 1,
                "content_block": {**MESSAGE["content"][1], "input": {}},
            },
        )
    )
    events.append(
        (
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 1,
                "delta": {"type": "input_json_delta", "partial_json": '{"q":"x"}'},
            },
        )
    )
    events.append(("content_block_stop", {"type": "content_block_stop", "index": 1}))
    events.append(
        (
            "message_delta",
            {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 20}},
        )
    )
    events.append(("message_stop", {"type": "message_stop"}))
    return b"".join(f"event: {e}\ndata: {json.dumps(d)}\n\n".encode() for e, d in events)


def serve(port: int) -> None:
    json_body = json.dumps(MESSAGE).encode()
    stream_body = sse_body()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            streaming = self.headers.get("x-bench-stream") == "1"
            body = stream_body if streaming else json_body
            latency_ms = float(self.headers.get("x-bench-latency-ms") or 0)
            if latency_ms:
                time.sleep(latency_ms / 1000)
            self.send_response(200)
            self.send_header("content-type", "text/event-stream" if streaming else "application/json")
            self.send_header("request-id", "req_bench")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


def make_body(target: int, stream: bool) -> bytes:
    """A valid tool loop (user, assistant tool_use, user tool_result, ...) of about ``target`` bytes."""
    messages: list[dict] = [{"role": "user", "content": "start"}]
    filler = "x" * 900
    i = 0
    while True:
        tid = f"toolu_{i:08d}"
        messages.append(
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": "calling"},
                    {"type": "tool_use", "id": tid, "name": "lookup", "input": {"q": i}},
                ],
            }
        )
        messages.append(
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tid, "content": filler}]}
        )
        i += 1
        body = {
            "model": "claude-opus-4-6",
            "max_tokens": 1024,
            "stream": stream,
            "tools": [{"name": "lookup", "description": "look up", "input_schema": {"type": "object"}}],
            "messages": messages,
        }
        raw = json.dumps(body).encode()
        if len(raw) >= target:
            return raw


def bench_headers(stream: bool, latency_ms: float) -> dict[str, str]:
    """What the bench server reads: answer with SSE or JSON, and after how long."""
    return {"x-bench-stream": "1" if stream else "0", "x-bench-latency-ms": f"{latency_ms:g}"}


def run_loop(client: Any, body: bytes, stream: bool, n: int, latency_ms: float = 0.0) -> float:
    headers = {"content-type": "application/json", **bench_headers(stream, latency_ms)}
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(n):
        if FRESH:
            conversations.MEMORY.clear()
        if stream:
            with client.stream("POST", "/v1/messages", content=body, headers=headers) as r:
                for _chunk in r.iter_bytes():
                    pass
        else:
            r = client.post("/v1/messages", content=body, headers=headers)
            r.read()
    drain()
    CPU.append((time.process_time() - c0) / n)
    return (time.perf_counter() - t0) / n


def run_sdk_loop(client: Any, body: bytes, stream: bool, n: int, latency_ms: float = 0.0) -> float:
    """The same requests through the ``anthropic`` SDK (which builds and sends its own bytes)."""
    params = json.loads(body)
    params.pop("stream", None)
    headers = bench_headers(stream, latency_ms)
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(n):
        if FRESH:
            conversations.MEMORY.clear()
        if stream:
            with client.messages.stream(**params, extra_headers=headers) as events:
                for _event in events:
                    pass
        else:
            client.messages.create(**params, extra_headers=headers)
    drain()
    CPU.append((time.process_time() - c0) / n)
    return (time.perf_counter() - t0) / n


FRESH = False  # --conversation fresh: every request as the first of a conversation (memory forgotten)
CPU: list[float] = []  # process CPU per request of the last loop (all threads: the analysis thread too)


def drain() -> None:
    """Wait for the analysis thread (``analysis="overlap"``) to finish the loop's last job, so that its CPU
    is counted: a no-op job queued behind it, and waited for (jobs run in order, on one thread). Nothing
    when the thread was never started."""
    from claude_otel.instrumentation import hooks, worker

    analysis_thread = getattr(hooks, "_WORKER", None)
    if not hasattr(analysis_thread, "_queue"):
        time.sleep(0.002)  # not the worker this function knows: give its thread a moment instead
        return
    if analysis_thread._queue is None:  # type: ignore[union-attr]
        return
    done = threading.Event()
    if analysis_thread.enqueue(worker.Job(done.set)):
        done.wait(10)


from claude_otel.core import conversations  # noqa: E402


def time_analyze(body: bytes, n: int, gc_off: bool = False) -> float:
    """``analyze`` alone; ``gc_off``: with the collector paused, as the hooks run it."""
    from claude_otel.core import analyze
    from claude_otel.core.gcpause import gc_paused

    t0 = time.perf_counter()
    for _ in range(n):
        if gc_off:
            with gc_paused():
                analyze(body, max_bytes=32 * 1024 * 1024)
        else:
            analyze(body, max_bytes=32 * 1024 * 1024)
    return (time.perf_counter() - t0) / n


def time_genai(n: int) -> float:
    """The GenAI metrics of one response alone (genai.py: the Prometheus series and the OTel histograms on
    an SDK ``MeterProvider`` with a reader, the costlier case), as ``_finish`` records them."""
    import prometheus_client
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    from claude_otel.instrumentation.genai import GenAIRecorder
    from claude_otel.instrumentation.metrics import Metrics
    from claude_otel.instrumentation.observe import ResponseSummary

    provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    recorder = GenAIRecorder(Metrics(prometheus_client.CollectorRegistry()), provider)
    now = time.perf_counter()
    summary = ResponseSummary(
        kind="sse", response_model="claude-opus-4-6", first_chunk_at=now, first_token_at=now
    )
    summary.usage = {"input": 100, "output": 20, "cache_read": 5000, "cache_creation": 0}
    exemplar = {"trace_id": "1" * 32, "span_id": "1" * 16}
    t0 = time.perf_counter()
    for _ in range(n):
        recorder.response(
            provider="anthropic",
            model_label="claude-opus-4-6",
            request_model="claude-opus-4-6",
            started=now,
            summary=summary,
            outcome="ok",
            error_type=None,
            exemplar=exemplar,
        )
    return (time.perf_counter() - t0) / n


def start_server() -> tuple[subprocess.Popen[str], str]:
    """The bench server, in a process of its own on a free port: the process and its base URL."""
    proc = subprocess.Popen([sys.executable, __file__, "--serve", "0"], stdout=subprocess.PIPE, text=True)
    try:
        port = int(proc.stdout.readline())  # type: ignore[union-attr]
    except BaseException:
        proc.terminate()
        raise
    return proc, f"http://127.0.0.1:{port}"


def instrument_mode(mode: str, tracer_provider: Any, base: str) -> None:
    """Instrument the process for ``mode``: ``bare`` nothing; ``otel`` OpenTelemetry's httpx2
    instrumentation (spans on ``tracer_provider``, exported nowhere); any other mode claude-otel on top
    (``c-o ovl``: ``analysis="overlap"``, else inline), with a registry of its own."""
    import prometheus_client
    from opentelemetry.instrumentation.httpx import HTTPX2ClientInstrumentor

    import claude_otel

    claude_otel.uninstrument()
    inst = HTTPX2ClientInstrumentor()
    if inst.is_instrumented_by_opentelemetry:
        inst.uninstrument()
    if mode == "otel":
        inst.instrument(tracer_provider=tracer_provider)
    elif mode != "bare":
        claude_otel.instrument(
            tracer_provider=tracer_provider,
            extra_base_urls=[base],
            registry=prometheus_client.CollectorRegistry(),
            analysis="overlap" if mode == "c-o ovl" else "inline",
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=30, help="requests per mode per round (default 30)")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds (default 7)")
    parser.add_argument("--sizes", default="10000,200000,2000000")
    parser.add_argument(
        "--latency-ms", default="0", help="server wait before answering; a list gives one table each"
    )
    parser.add_argument(
        "--client",
        choices=("httpx2", "anthropic"),
        default="httpx2",
        help="send with a plain httpx2 client (default) or through the anthropic SDK",
    )
    parser.add_argument(
        "--conversation",
        choices=("steady", "fresh"),
        default="steady",
        help="steady: the body re-sent, each analysis resumed from the previous one's checkpoint (as for"
        " a long conversation's next turn); fresh: the conversation memory forgotten before every request",
    )
    parser.add_argument(
        "--stat",
        choices=("median", "min"),
        default="median",
        help="of the rounds' per-request figures: the median (default), or the minimum, which CPU time"
        " stolen by other work on a shared machine inflates least",
    )
    parser.add_argument("--serve", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    global FRESH
    FRESH = args.conversation == "fresh"
    if args.serve is not None:
        serve(args.serve)
        return

    import httpx2
    from opentelemetry.sdk.trace import TracerProvider

    import claude_otel.instrumentation.hooks as hooks_module

    real_analyze = hooks_module.analyze
    memo: dict[int, Any] = {}

    def memo_analyze(raw: bytes, **kwargs: Any) -> Any:
        """``hooks`` mode: this body's analysis, computed once (what it returns is never mutated).
        Keyed by length: one body per table row (the SDK sends new bytes objects each time, and hashing
        them would cost time the hooks do not spend); cleared between rows."""
        hit = memo.get(len(raw))
        if hit is None:
            hit = memo[len(raw)] = real_analyze(raw, **kwargs)
        return hit

    proc, base = start_server()
    try:
        tp = TracerProvider()  # spans are created and ended, exported nowhere: the same for every mode

        def set_mode(mode: str) -> None:
            hooks_module.analyze = memo_analyze if mode == "hooks" else real_analyze
            instrument_mode(mode, tp, base)

        modes = ("bare", "otel", "c-o inl", "c-o ovl", "hooks")
        sizes = [int(s) for s in args.sizes.split(",")]
        for latency in [float(x) for x in args.latency_ms.split(",")]:
            print(
                f"\n{args.rounds} rounds x {args.requests} requests per mode, {args.client} client, server "
                f"latency {latency:g} ms; {args.stat} per-request time (ms)"
            )
            print(
                f"{'body':>9} {'resp':>5} {'bare':>8} {'otel':>8} {'c-o inl':>8} {'c-o ovl':>8} {'hooks':>8} "
                f"{'inl/otel':>8} {'ovl/otel':>8} {'hooks/otel':>10} {'analyze()':>9} {'no-gc':>6} "
                f"{'5% budget':>9} {'hooks add':>9} {'genai':>7}"
            )
            for size in sizes:
                for stream in (False, True):
                    body = make_body(size, stream)
                    times: dict[str, list[float]] = {m: [] for m in modes}
                    cpu: dict[str, list[float]] = {m: [] for m in modes}
                    if args.client == "anthropic":
                        import anthropic

                        client: Any = anthropic.Anthropic(base_url=base, api_key="bench", max_retries=0)
                        loop = run_sdk_loop
                    else:
                        client, loop = httpx2.Client(base_url=base, timeout=60), run_loop
                    with client:
                        for mode in modes:  # warm-up
                            set_mode(mode)
                            loop(client, body, stream, 3, latency)
                        for _ in range(args.rounds):
                            for mode in modes:
                                set_mode(mode)
                                # every batch starts from a full collection: otherwise a full pass over the
                                # heap (~75 ms through the SDK, once every ~60 requests) lands in one
                                # mode's batch at random
                                gc.collect()
                                times[mode].append(loop(client, body, stream, args.requests, latency))
                                cpu[mode].append(CPU[-1])
                        for _ in range(args.rounds):
                            times.setdefault("analyze", []).append(time_analyze(body, args.requests))
                            times.setdefault("no-gc", []).append(time_analyze(body, args.requests, True))
                            times.setdefault("genai", []).append(time_genai(args.requests))
                    set_mode("bare")
                    memo.clear()
                    stat = min if args.stat == "min" else statistics.median
                    med = {m: stat(v) * 1000 for m, v in times.items()}
                    inl, ovl, otel, hooks = med["c-o inl"], med["c-o ovl"], med["otel"], med["hooks"]
                    print(
                        f"{len(body) / 1000:>7.0f}KB {'sse' if stream else 'json':>5} {med['bare']:>8.3f} "
                        f"{otel:>8.3f} {inl:>8.3f} {ovl:>8.3f} {hooks:>8.3f} {inl / otel:>8.3f} "
                        f"{ovl / otel:>8.3f} {hooks / otel:>10.3f} {med['analyze']:>9.3f} "
                        f"{med['no-gc']:>6.3f} {otel * 0.05:>9.3f} {hooks - otel:>9.3f} {med['genai']:>7.4f}",
                        flush=True,
                    )
                    c = {m: stat(v) * 1000 for m, v in cpu.items()}
                    print(
                        f"{'':>9} {'cpu':>5} {c['bare']:>8.3f} {c['otel']:>8.3f} {c['c-o inl']:>8.3f}"
                        f" {c['c-o ovl']:>8.3f} {c['hooks']:>8.3f}   CPU ms per request"
                        f" ({args.conversation}); otel adds {c['otel'] - c['bare']:.3f},"
                        f" claude-otel adds {c['c-o ovl'] - c['otel']:.3f}"
                        f" (overlap) {c['c-o inl'] - c['otel']:.3f} (inline) over otel",
                        flush=True,
                    )
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
