"""Speed of `claude-otel proxy`: requests/s and added latency (p50, p99) through the proxy vs direct, for
JSON and SSE responses. One run on this machine; prints a table. Every figure comes from the same run.

    python benchmarks/bench_proxy.py [--requests 400] [--seconds 4] [--concurrency 16]

The upstream (a minimal HTTP/1.1 server answering a fixed Messages response), each proxy and the load
generator run as separate processes on 127.0.0.1. Two proxies are measured: with claude-otel's analysis
(the product) and plain forwarding (the cost of the proxy alone)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]

MESSAGE = {
    "id": "msg_01Bench",
    "type": "message",
    "role": "assistant",
    "model": "claude-sonnet-4-5",
    "content": [{"type": "text", "text": "benchmark answer " * 8}],
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {"input_tokens": 1200, "output_tokens": 40},
}
JSON_BODY = json.dumps(MESSAGE).encode()


def _event(name: str, data: dict) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


SSE_EVENTS = [
    _event(
        "message_start", {"type": "message_start", "message": {**MESSAGE, "content": [], "stop_reason": None}}
    ),
    _event(
        "content_block_start",
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    ),
    *[
        _event(
            "content_block_delta",
            {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "word "}},
        )
        for _ in range(10)
    ],
    _event("content_block_stop", {"type": "content_block_stop", "index": 0}),
    _event(
        "message_delta",
        {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 40}},
    ),
    _event("message_stop", {"type": "message_stop"}),
]


def request_body() -> bytes:
    """A realistic agent request: system prompt, tools, 5 tool rounds of history (about 12 kB)."""
    messages: list[dict] = [{"role": "user", "content": "Fix the failing test in the repository. " * 20}]
    for i in range(5):
        messages.append(
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": "Let me look at that file. " * 5},
                    {
                        "type": "tool_use",
                        "id": f"toolu_01Bench{i:04d}",
                        "name": "Read",
                        "input": {"file_path": f"/src/m{i}.py"},
                    },
                ],
            }
        )
        messages.append(
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": f"toolu_01Bench{i:04d}",
                        "content": "x = 1\n" * 200,
                    }
                ],
            }
        )
    tools = [
        {
            "name": n,
            "description": f"{n} tool " * 10,
            "input_schema": {"type": "object", "properties": {"file_path": {"type": "string"}}},
        }
        for n in ("Read", "Write", "Edit", "Bash", "Grep")
    ]
    body = {
        "model": "claude-sonnet-4-5",
        "max_tokens": 1024,
        "system": "You are a coding agent. " * 20,
        "messages": messages,
        "tools": tools,
    }
    return json.dumps(body).encode()


# --- the upstream -------------------------------------------------------------------------------------


async def _serve_upstream() -> None:
    json_head = (
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nrequest-id: req_011CBench\r\n"
        + f"content-length: {len(JSON_BODY)}\r\n\r\n".encode()
    )
    sse_head = (
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nrequest-id: req_011CBench\r\n"
        b"transfer-encoding: chunked\r\n\r\n"
    )
    sse_chunks = [f"{len(e):x}\r\n".encode() + e + b"\r\n" for e in SSE_EVENTS]

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                stream = False
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                    if line[:12].lower() == b"x-bench-sse:":
                        stream = True
                await reader.readexactly(length)
                if stream:
                    writer.write(sse_head)
                    for chunk in sse_chunks:  # one write per event, as an SSE server flushes them
                        writer.write(chunk)
                        await writer.drain()
                    writer.write(b"0\r\n\r\n")
                else:
                    writer.write(json_head + JSON_BODY)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


def _serve_proxy(upstream: str, instrument: bool) -> None:
    sys.path.insert(0, str(ROOT))
    import uvicorn

    from claude_otel.proxy.app import ProxyConfig
    from claude_otel.proxy.factory import create_proxy
    from claude_otel.proxy.server import bind_socket, uvicorn_config

    proxy = create_proxy(ProxyConfig(upstream=upstream, trust_env=False), instrument=instrument)
    if instrument and not proxy.instrumentation.active:
        print(f"instrumentation unavailable: {proxy.instrumentation.notice}", file=sys.stderr)
    sock = bind_socket("127.0.0.1", 0)
    print(sock.getsockname()[1], flush=True)
    uvicorn.Server(uvicorn_config(proxy.app)).run(sockets=[sock])


# --- measurement --------------------------------------------------------------------------------------


def _spawn(*args: str) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen(
        [sys.executable, __file__, *args],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return proc, int(proc.stdout.readline())


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def latency(base: str, body: bytes, sse: bool, n: int) -> tuple[list[float], list[float]]:
    """Sequential requests on one keep-alive connection: (total ms, time-to-first-event ms)."""
    headers = {
        "content-type": "application/json",
        "user-agent": "Anthropic/Python 2.10.0",
        "x-api-key": "bench",
    }
    if sse:
        headers["x-bench-sse"] = "1"
    totals, firsts = [], []
    with httpx.Client(timeout=30) as client:
        for i in range(n + 30):
            t0 = time.perf_counter()
            req = client.build_request("POST", base + "/v1/messages", content=body, headers=headers)
            resp = client.send(req, stream=True)
            first = None
            for _chunk in resp.iter_raw():
                if first is None:
                    first = time.perf_counter()
            resp.close()
            t1 = time.perf_counter()
            if resp.status_code != 200:
                raise SystemExit(f"unexpected status {resp.status_code} from {base}")
            if i >= 30:  # warm-up excluded
                totals.append((t1 - t0) * 1000)
                firsts.append(((first or t1) - t0) * 1000)
    return totals, firsts


async def _throughput(base: str, body: bytes, sse: bool, seconds: float, concurrency: int) -> float:
    headers = {
        "content-type": "application/json",
        "user-agent": "Anthropic/Python 2.10.0",
        "x-api-key": "bench",
    }
    if sse:
        headers["x-bench-sse"] = "1"
    done = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        stop = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < stop:
                resp = await client.post(base + "/v1/messages", content=body, headers=headers)
                if resp.status_code != 200:
                    raise SystemExit(f"unexpected status {resp.status_code}")
                done += 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    return done / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400, help="sequential requests per latency cell")
    parser.add_argument("--seconds", type=float, default=4.0, help="duration of each throughput cell")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--serve-upstream", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--serve-proxy", metavar="UPSTREAM", help=argparse.SUPPRESS)
    parser.add_argument("--plain", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_upstream:
        asyncio.run(_serve_upstream())
        return 0
    if args.serve_proxy:
        _serve_proxy(args.serve_proxy, instrument=not args.plain)
        return 0

    body = request_body()
    procs = []
    try:
        up, up_port = _spawn("--serve-upstream")
        procs.append(up)
        upstream = f"http://127.0.0.1:{up_port}"
        px, px_port = _spawn("--serve-proxy", upstream)
        plain, plain_port = _spawn("--serve-proxy", upstream, "--plain")
        procs += [px, plain]
        targets = {
            "direct": upstream,
            "proxy (plain forwarding)": f"http://127.0.0.1:{plain_port}",
            "proxy (claude-otel analysis)": f"http://127.0.0.1:{px_port}",
        }
        print(
            f"request body {len(body)} bytes; JSON response {len(JSON_BODY)} bytes; "
            f"SSE {len(SSE_EVENTS)} events"
        )
        print(
            f"latency: {args.requests} sequential requests per cell; "
            f"throughput: {args.concurrency} concurrent for {args.seconds}s"
        )
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(
            f"{os.cpu_count()} CPUs (load average {load}); upstream, proxies and load generator share them\n"
        )
        cols = ("req/s", "p50 ms", "p99 ms", "+p50 ms", "+p99 ms")
        header = f"{'kind':<5} {'path':<30} " + " ".join(f"{c:>8}" for c in cols) + f" {'TTFE p50':>9}"
        print(header)
        print("-" * len(header))
        for kind, sse in (("JSON", False), ("SSE", True)):
            base_p50 = base_p99 = None
            for name, url in targets.items():
                totals, firsts = latency(url, body, sse, args.requests)
                rps = asyncio.run(_throughput(url, body, sse, args.seconds, args.concurrency))
                p50, p99 = statistics.median(totals), _pct(totals, 0.99)
                if base_p50 is None:
                    base_p50, base_p99 = p50, p99
                added50, added99 = p50 - base_p50, p99 - base_p99
                ttfe = f"{statistics.median(firsts):9.2f}" if sse else f"{'':>9}"
                print(
                    f"{kind:<5} {name:<30} {rps:8.0f} {p50:8.2f} {p99:8.2f} "
                    f"{added50:+8.2f} {added99:+8.2f} {ttfe}"
                )
        return 0
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(10)


if __name__ == "__main__":
    sys.exit(main())
