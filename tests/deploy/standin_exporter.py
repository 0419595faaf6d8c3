"""Stand-in traffic source for the deploy tests: serves the claude-otel metric names (docs/interfaces.md §2)
with prometheus_client, with exemplars, as `claude-otel demo --hold` would.

The live test runs it next to the real demo: it covers every metric and label value the demo does not produce
(unexplained 400s, exemplars), and stands in for the demo in a checkout without it.
Run: `python tests/deploy/standin_exporter.py --port N --duration S`; it serves traffic for S seconds, then
keeps the endpoint up (no new traffic) until terminated. Deterministic (seeded), content-free.
"""

from __future__ import annotations

import argparse
import random
import signal
import sys
import threading
import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

MODELS = ("claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-5")
CLIENTS = ("anthropic_sdk", "httpx", "httpx2")
# (rule, severity, category of the 400 the API answers, or None when the request goes through)
FAULTS = (
    ("tool_result_missing", "error", "tool_result_missing"),
    ("tool_result_not_first", "error", "tool_result_missing"),
    ("tool_result_duplicate", "error", "tool_result_duplicate"),
    ("tool_use_id_duplicate", "error", "tool_use_id_duplicate"),
    ("container_required", "error", "container_required"),
    ("tool_reference_unknown", "error", "tool_reference_unknown"),
    ("tool_results_split", "warning", None),
)
UNPREDICTED_CATEGORIES = ("thinking_signature_invalid", "prompt_too_long", "invalid_request_other")
BLOCK_BUCKETS = (0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
TOKEN_BUCKETS = (1024, 16384, 65536, 150000, 200000, 1000000)


def build(registry: CollectorRegistry) -> dict[str, object]:
    return {
        "requests": Counter(
            "claude_otel_requests",
            "requests",
            ("endpoint", "model", "client", "predicted", "outcome"),
            registry=registry,
        ),
        "findings": Counter("claude_otel_findings", "findings", ("rule", "severity"), registry=registry),
        "errors": Counter(
            "claude_otel_errors", "errors", ("category", "predicted", "status_class"), registry=registry
        ),
        "tool_use": Histogram(
            "claude_otel_request_tool_use_blocks", "h", registry=registry, buckets=BLOCK_BUCKETS
        ),
        "tool_result": Histogram(
            "claude_otel_request_tool_result_blocks", "h", registry=registry, buckets=BLOCK_BUCKETS
        ),
        "messages": Histogram("claude_otel_request_messages", "h", registry=registry),
        "bytes": Histogram(
            "claude_otel_request_body_bytes", "h", registry=registry, buckets=(1e3, 1e4, 1e5, 1e6)
        ),
        "resp_tool_use": Histogram(
            "claude_otel_response_tool_use_blocks", "h", registry=registry, buckets=BLOCK_BUCKETS
        ),
        "stop": Counter("claude_otel_response_stop_reasons", "s", ("stop_reason",), registry=registry),
        "streams": Counter("claude_otel_streams", "s", ("outcome",), registry=registry),
        "internal": Counter("claude_otel_internal_errors", "i", ("reason",), registry=registry),
        "experienced": Counter(
            "claude_otel_failures_experienced", "f", ("category", "client"), registry=registry
        ),
        "repeats": Counter("claude_otel_failure_repeats", "f", ("category", "client"), registry=registry),
        "stuck": Gauge("claude_otel_stuck_sessions", "s", ("category",), registry=registry),
        "recoveries": Counter("claude_otel_session_recoveries", "r", ("category", "via"), registry=registry),
        "tokens": Counter("claude_otel_tokens", "t", ("model", "token_type"), registry=registry),
        "input_tokens": Histogram(
            "claude_otel_request_input_tokens", "h", ("model",), registry=registry, buckets=TOKEN_BUCKETS
        ),
        "duration": Histogram(
            "claude_otel_operation_duration_seconds", "h", ("model", "outcome"), registry=registry
        ),
        "ttft": Histogram("claude_otel_time_to_first_token_seconds", "h", ("model",), registry=registry),
    }


def one_request(m: dict, rng: random.Random) -> None:
    ex = {"trace_id": f"{rng.getrandbits(128):032x}", "span_id": f"{rng.getrandbits(64):016x}"}
    model, client = rng.choice(MODELS), rng.choice(CLIENTS)
    tool_uses = rng.randint(0, 12)
    roll = rng.random()
    predicted, outcome = "ok", "ok"
    if roll < 0.25:
        rule, severity, category = rng.choice(FAULTS)
        m["findings"].labels(rule, severity).inc(exemplar=ex)
        predicted = severity
        if category is not None:
            outcome = "invalid_request" if rng.random() < 0.9 else "ok"
            if outcome == "invalid_request":
                m["errors"].labels(category, predicted, "4xx").inc(exemplar=ex)
                # a Claude Code retry burst: one failure experienced, five repeats
                m["experienced"].labels(category, client).inc(exemplar=ex)
                m["repeats"].labels(category, client).inc(5, exemplar=ex)
                if rng.random() < 0.5:
                    m["recoveries"].labels(category, rng.choice(("retry", "later"))).inc(exemplar=ex)
    elif roll < 0.30:
        predicted, outcome = "ok", "invalid_request"
        m["errors"].labels(rng.choice(UNPREDICTED_CATEGORIES), "ok", "4xx").inc(exemplar=ex)
    elif roll < 0.33:
        outcome = "overloaded"
        m["errors"].labels("overloaded", "ok", "5xx").inc(exemplar=ex)
    m["requests"].labels("messages", model, client, predicted, outcome).inc(exemplar=ex)
    m["tool_use"].observe(tool_uses, exemplar=ex)
    m["tool_result"].observe(max(0, tool_uses - (outcome != "ok")), exemplar=ex)
    m["messages"].observe(2 * tool_uses + 1, exemplar=ex)
    m["bytes"].observe(rng.randint(500, 200_000), exemplar=ex)
    m["duration"].labels(model, outcome).observe(rng.uniform(0.5, 30), exemplar=ex)
    if outcome == "ok":
        fresh, read, written = rng.randint(10, 2000), rng.randint(0, 150_000), rng.randint(0, 5000)
        for kind, count in (("input", fresh), ("cache_read", read), ("cache_creation", written)):
            m["tokens"].labels(model, kind).inc(count, exemplar=ex)
        m["tokens"].labels(model, "output").inc(rng.randint(1, 4000), exemplar=ex)
        m["input_tokens"].labels(model).observe(fresh + read + written, exemplar=ex)
        m["ttft"].labels(model).observe(rng.uniform(0.2, 3), exemplar=ex)
        m["resp_tool_use"].observe(rng.randint(0, 3), exemplar=ex)
        m["stop"].labels("tool_use" if rng.random() < 0.6 else "end_turn").inc(exemplar=ex)
        if rng.random() < 0.5:
            m["streams"].labels("completed" if rng.random() < 0.95 else "error_event").inc(exemplar=ex)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--rate", type=float, default=40.0, help="requests per second")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    registry = CollectorRegistry()
    metrics = build(registry)
    for reason in ("hook_error", "stream_not_replayable", "state_error"):
        metrics["internal"].labels(reason)
    metrics["stuck"].labels("tool_result_missing").set(3)  # three users blocked by a broken transcript
    server, _thread = start_http_server(args.port, addr="127.0.0.1", registry=registry)
    print(f"metrics on http://127.0.0.1:{server.server_port}/metrics", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    rng = random.Random(args.seed)
    end = time.monotonic() + args.duration
    while not stop.is_set() and time.monotonic() < end:
        for _ in range(max(1, int(args.rate / 10))):
            one_request(metrics, rng)
        stop.wait(0.1)
    print("traffic done; holding the metrics endpoint", flush=True)
    stop.wait()
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
