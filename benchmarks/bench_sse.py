"""Cost of claude-otel's streamed-response observer relative to the SDK's own decoding of the same stream.

    python benchmarks/bench_sse.py [--events 200,2000,8000] [--chunk 4096]

A streamed Messages API response (message_start, a text block of N text deltas, a tool_use block,
message_delta, message_stop) is cut into network-sized chunks. For each size it prints: the time the
`anthropic` SDK takes to decode it (its `SSEDecoder` plus `json.loads` of every event's data, which is what
`client.messages.stream()` does before building its event objects), the time of claude-otel's observer
(`SSEObserver`, fed the same chunks as the application reads them), and their ratio, all in one run
(the minimum of repeated, interleaved measurements). The observer runs on the application's thread while it
reads, so this ratio is its share of the reading cost.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable

from anthropic._streaming import SSEDecoder

from claude_otel.instrumentation.observe import SSEObserver


def stream(n_deltas: int) -> bytes:
    events: list[tuple[str, dict]] = [
        ("message_start", {"type": "message_start", "message": {"id": "msg_bench", "content": []}}),
        (
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        ),
    ]
    for i in range(n_deltas):
        delta = {"type": "text_delta", "text": f"token{i} "}
        events.append(("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}))
    events += [
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 1,
                "content_block": {"type": "tool_use", "id": "toolu_b", "name": "lookup", "input": {}},
            },
        ),
        ("content_block_stop", {"type": "content_block_stop", "index": 1}),
        ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "tool_use"}}),
        ("message_stop", {"type": "message_stop"}),
    ]
    return b"".join(f"event: {e}\ndata: {json.dumps(d)}\n\n".encode() for e, d in events)


def best_of(fn: Callable[[], object], budget: float) -> float:
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < 5 or time.perf_counter() - start < budget:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", default="200,2000,8000", help="text deltas per stream")
    ap.add_argument("--chunk", type=int, default=4096, help="bytes per network chunk")
    args = ap.parse_args()
    print(f"{'deltas':>7} {'bytes':>10} {'SDK decode':>11} {'observer':>10} {'ratio':>6} {'per event':>10}")
    for n in (int(x) for x in args.events.split(",")):
        raw = stream(n)
        chunks = [raw[i : i + args.chunk] for i in range(0, len(raw), args.chunk)]

        def sdk(chunks: list[bytes] = chunks) -> None:
            for sse in SSEDecoder().iter_bytes(iter(chunks)):
                json.loads(sse.data)

        def observer(chunks: list[bytes] = chunks) -> None:
            obs = SSEObserver()
            for c in chunks:
                obs.feed(c)
            summary = obs.close()
            assert summary.completed and summary.tool_use_count == 1

        sdk_t = obs_t = float("inf")
        for _ in range(3):  # interleaved rounds
            sdk_t = min(sdk_t, best_of(sdk, 0.3))
            obs_t = min(obs_t, best_of(observer, 0.3))
        print(
            f"{n:>7} {len(raw):>10,} {sdk_t * 1e3:>8.3f} ms {obs_t * 1e3:>7.3f} ms {obs_t / sdk_t:>6.2f}"
            f" {obs_t / (n + 7) * 1e9:>7.0f} ns"
        )


if __name__ == "__main__":
    main()
