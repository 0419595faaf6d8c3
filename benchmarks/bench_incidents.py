"""What writing incidents costs a request, and whether the store stays within its bytes.

    python benchmarks/bench_incidents.py [--requests 300] [--rounds 5] [--turns 200]
                                          [--store-count 1000000] [--max-mb 64]

1. Latency: a Claude Code-sized failing request (``--turns`` tool turns, a text block before the last
   tool_result) sent by an instrumented httpx client to a local server that answers the API's 400 at once.
   Two clients, interleaved round by round in one run: claude-otel without an incident store, and with one
   (the record is built and written on the writer thread). It prints the median time per request of each
   (the minimum over rounds) and their ratio: writing incidents adds nothing measurable when it is ~1.00.
2. Bytes: ``--store-count`` realistic records (built once from the same body, ids and times varied) written
   straight to an ``IncidentStore`` bounded to ``--max-mb``; it prints the largest size the database file and
   its WAL reached, checked after every batch, and how many rows were kept.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import orjson

import claude_otel
from claude_otel.core import analyze
from claude_otel.incidents.record import build_record
from claude_otel.incidents.store import IncidentStore, StoreLimits

ERROR = orjson.dumps(
    {
        "type": "error",
        "error": {
            "type": "invalid_request_error",
            "message": "messages.3: `tool_use` ids were found without `tool_result` blocks immediately "
            "after: toolu_last. Each `tool_use` block must have a corresponding `tool_result` block in the "
            "next message.",
        },
        "request_id": "req_bench",
    }
)


def body(turns: int) -> bytes:
    messages: list[dict[str, Any]] = [{"role": "user", "content": "benchmark prompt " * 20}]
    for k in range(turns):
        tid = f"toolu_{k:06d}"
        messages.append(
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": "Let me look. " * 10},
                    {"type": "tool_use", "id": tid, "name": "Read", "input": {"path": f"/src/f{k}.py"}},
                ],
            }
        )
        messages.append(
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tid, "content": "x" * 400}]}
        )
    messages.append(
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "toolu_last", "name": "Read", "input": {}}],
        }
    )
    messages.append(
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "note"},
                {"type": "tool_result", "tool_use_id": "toolu_last"},
            ],
        }
    )
    tools = [{"name": "Read", "description": "read a file", "input_schema": {"type": "object"}}]
    return orjson.dumps(
        {"model": "claude-sonnet-4-5", "max_tokens": 1024, "tools": tools, "messages": messages}
    )


class Server:
    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body in separate writes: no delayed-ACK stall

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                self.send_response(400)
                self.send_header("content-type", "application/json")
                self.send_header("request-id", "req_bench")
                self.send_header("content-length", str(len(ERROR)))
                self.end_headers()
                self.wfile.write(ERROR)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def latency(args: argparse.Namespace, tmp: Path) -> None:
    server = Server()
    raw = body(args.turns)
    headers = {
        "x-api-key": "k",
        "anthropic-version": "2023-06-01",
        "content-type": "application/json",
        "user-agent": "claude-cli/2.1.332 (external, sdk-cli)",
        "x-claude-code-session-id": "bench-session",
        "x-stainless-retry-count": "0",
    }
    clients = {}
    hooks = {}
    for name, extra in (("without", {}), ("with", {"incidents_path": str(tmp / "bench.sqlite")})):
        client = httpx.Client(timeout=30)
        hooks[name] = claude_otel.instrument_client(client, extra_base_urls=[server.url], **extra)
        clients[name] = client
    url = server.url + "/v1/messages"
    print(f"request body {len(raw) / 1024:.0f} KB ({args.turns} turns), every request a 400 with an incident")
    counter = iter(range(10**9))
    for scenario in ("burst", "distinct"):
        # burst: one session's retries (repeats: a light record each); distinct: a new session per request
        # (a full record with its skeleton each, built on the writer thread while the next request runs)
        best: dict[str, float] = {"without": float("inf"), "with": float("inf")}
        for _ in range(args.rounds):
            for name, client in clients.items():
                times = []
                for _ in range(args.requests):
                    if scenario == "distinct":
                        headers["x-claude-code-session-id"] = f"bench-{next(counter)}"
                    t0 = time.perf_counter()
                    r = client.post(url, content=raw, headers=headers)
                    times.append(time.perf_counter() - t0)
                    assert r.status_code == 400
                best[name] = min(best[name], statistics.median(times))
        print(
            f"  {scenario}: median per request without an incident store {best['without'] * 1e6:7.0f} us, "
            f"writing incidents {best['with'] * 1e6:7.0f} us, ratio {best['with'] / best['without']:.3f}"
        )
    writer = hooks["with"].instrumentation.forensics.writer
    assert writer is not None and writer.flush(120)
    print(f"  incidents written: {writer.written}, dropped: {writer.dropped}, failed: {writer.failed}")


def store_bytes(args: argparse.Namespace, tmp: Path) -> None:
    raw = body(50)
    template = build_record(
        kind="http_error",
        raw=raw,
        user_agent="claude-cli/2.1.332 (external, sdk-cli)",
        betas="claude-code-20250219",
        endpoint="messages",
        predicted="error",
        findings=analyze(raw).findings,
        status=400,
        error_message=orjson.loads(ERROR)["error"]["message"],
    )
    limits = StoreLimits(
        max_bytes=int(args.max_mb * 1024 * 1024), wal_bytes=min(4 << 20, int(args.max_mb * 65536))
    )
    store = IncidentStore(tmp / "million.sqlite", limits)
    largest = 0
    t0 = time.perf_counter()
    now = time.time()
    batch = 256
    for start in range(0, args.store_count, batch):
        n = min(batch, args.store_count - start)
        store.insert(
            {
                **template,
                "id": f"{start + i:016x}",
                "ts": now + (start + i) * 1e-3,
                "burst_id": f"{start + i:016x}",
            }
            for i in range(n)
        )
        largest = max(largest, store.file_bytes())
    elapsed = time.perf_counter() - t0
    record_bytes = len(orjson.dumps(template))
    print(f"{args.store_count} incidents of {record_bytes} bytes into a store bounded to {args.max_mb:g} MB")
    print(
        f"  largest database + WAL size seen: {largest / 1e6:.1f} MB (limit {limits.max_bytes / 1e6:.1f} MB)"
    )
    print(f"  rows kept at the end: {store.rows}; {args.store_count / elapsed:.0f} incidents/s written")
    print(f"  within the configured bytes: {'yes' if largest <= limits.max_bytes else 'NO'}")
    store.close()
    if largest > limits.max_bytes:
        sys.exit(1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--store-count", type=int, default=1_000_000)
    parser.add_argument("--max-mb", type=float, default=64.0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        latency(args, Path(tmp))
        store_bytes(args, Path(tmp))
    os._exit(0)  # the writer threads are daemons; skip their atexit flush of an already-flushed queue


if __name__ == "__main__":
    sys.exit(main())
