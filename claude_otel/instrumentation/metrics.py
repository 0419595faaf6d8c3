"""Prometheus metrics (names and label sets fixed by docs/interfaces.md §2) and the /metrics endpoint."""

from __future__ import annotations

import os
import threading
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, start_http_server

from .clients import CLIENTS
from .exemplars import count, observe
from .genai import GenAISeries
from .internal import INTERNAL_REASONS

__all__ = [
    "CLIENTS",
    "ENDPOINTS",
    "OUTCOMES",
    "STATUS_CLASSES",
    "STOP_REASONS",
    "STREAM_OUTCOMES",
    "Metrics",
    "count",
    "get_metrics",
    "get_registry",
    "multiprocess_enabled",
    "observe",
    "outcome_for_status",
    "start_metrics_server",
]

ENDPOINTS = ("messages", "count_tokens")
PREDICTED = ("ok", "warning", "error", "unparsed", "skipped")
# the proxy's own answers (claude_otel/proxy/accounting.py): no upstream answer, or refused by the proxy
PROXY_OUTCOMES = ("upstream_unreachable", "upstream_timeout", "proxy_refused", "proxy_error")
OUTCOMES = (
    "ok",
    "invalid_request",
    "rate_limited",
    "overloaded",
    "server_error",
    "client_error",
    *PROXY_OUTCOMES,
)
STATUS_CLASSES = ("4xx", "5xx", "stream")
STOP_REASONS = (
    "end_turn",
    "max_tokens",
    "stop_sequence",
    "tool_use",
    "pause_turn",
    "refusal",
    "model_context_window_exceeded",
    "other",
)
STREAM_OUTCOMES = ("completed", "error_event", "incomplete")

_BLOCK_BUCKETS = (0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
_MESSAGE_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048)
_BYTE_BUCKETS = (1e3, 1e4, 5e4, 1e5, 2e5, 5e5, 1e6, 2e6, 5e6, 1e7, 3.2e7, 1e8)


def multiprocess_enabled() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def outcome_for_status(status: int) -> str:
    if status < 400:
        return "ok"
    if status == 400:
        return "invalid_request"
    if status == 429:
        return "rate_limited"
    if status == 529:
        return "overloaded"
    if status >= 500:
        return "server_error"
    return "client_error"


def stop_reason_label(value: Any) -> str:
    return value if isinstance(value, str) and value in STOP_REASONS else "other"


class Metrics:
    """All claude-otel series on one registry. Exemplars (trace_id, span_id) unless multiprocess."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.exemplars = not multiprocess_enabled()
        r = registry
        self.requests = Counter(
            "claude_otel_requests",
            "Messages API requests seen, by endpoint, model, client, predicted and actual outcome",
            ("endpoint", "model", "client", "predicted", "outcome"),
            registry=r,
        )
        self.findings = Counter(
            "claude_otel_findings",
            "Requests in which a rule fired (once per rule per request)",
            ("rule", "severity"),
            registry=r,
        )
        self.errors = Counter(
            "claude_otel_errors",
            "Error responses (HTTP 4xx/5xx and mid-stream error events) by classified category",
            ("category", "predicted", "status_class"),
            registry=r,
        )
        self.req_tool_use = Histogram(
            "claude_otel_request_tool_use_blocks",
            "tool_use blocks per request body",
            registry=r,
            buckets=_BLOCK_BUCKETS,
        )
        self.req_tool_result = Histogram(
            "claude_otel_request_tool_result_blocks",
            "tool_result blocks per request body",
            registry=r,
            buckets=_BLOCK_BUCKETS,
        )
        self.req_messages = Histogram(
            "claude_otel_request_messages", "messages per request body", registry=r, buckets=_MESSAGE_BUCKETS
        )
        self.req_bytes = Histogram(
            "claude_otel_request_body_bytes", "request body size in bytes", registry=r, buckets=_BYTE_BUCKETS
        )
        self.resp_tool_use = Histogram(
            "claude_otel_response_tool_use_blocks",
            "tool_use blocks per successful response",
            registry=r,
            buckets=_BLOCK_BUCKETS,
        )
        self.stop_reasons = Counter(
            "claude_otel_response_stop_reasons", "Responses by stop_reason", ("stop_reason",), registry=r
        )
        self.streams = Counter(
            "claude_otel_streams", "Streamed (SSE) responses by how they ended", ("outcome",), registry=r
        )
        self.internal = Counter(
            "claude_otel_internal_errors",
            "claude-otel's own trouble (the request always went on untouched)",
            ("reason",),
            registry=r,
        )
        self.repairs = Counter(
            "claude_otel_repairs",
            "Requests rewritten by the opt-in repair (repair=True), once per rule repaired",
            ("rule",),
            registry=r,
        )
        self.genai = GenAISeries(r)  # tokens, context size, duration, time to first token (genai.py)
        self._children: dict[tuple[str, tuple[str, ...]], Any] = {}
        for reason in INTERNAL_REASONS:  # make every reason visible at 0
            self.internal.labels(reason)

    def child(self, metric: Any, labels: tuple[str, ...]) -> Any:
        """``metric.labels(*labels)``, cached (``labels()`` validates and locks on every call).

        Bounded: label values come from fixed sets. Children stay valid across fork (multiprocess
        values notice the new pid themselves).
        """
        key = (metric._name, labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    def exemplar(self, trace_id: int | None, span_id: int | None) -> dict[str, str] | None:
        if not self.exemplars or not trace_id:
            return None
        return {"trace_id": format(trace_id, "032x"), "span_id": format(span_id or 0, "016x")}


_lock = threading.Lock()
_by_registry: dict[int, Metrics] = {}
_default_registry: CollectorRegistry | None = None


def get_registry() -> CollectorRegistry:
    """claude-otel's own registry (created on first use)."""
    global _default_registry
    with _lock:
        if _default_registry is None:
            _default_registry = CollectorRegistry(auto_describe=True)
        return _default_registry


def get_metrics(registry: CollectorRegistry | None = None, use_global_registry: bool = False) -> Metrics:
    """The Metrics object for a registry; created once per registry (safe to call repeatedly)."""
    if registry is None:
        registry = REGISTRY if use_global_registry else get_registry()
    with _lock:
        metrics = _by_registry.get(id(registry))
        if metrics is None or metrics.registry is not registry:
            metrics = Metrics(registry)
            _by_registry[id(registry)] = metrics
        return metrics


def start_metrics_server(
    port: int, addr: str = "127.0.0.1", registry: CollectorRegistry | None = None
) -> tuple[Any, threading.Thread]:
    """Serve ``/metrics`` on ``addr:port`` (port 0 picks a free one: ``server.server_port``).

    In multiprocess mode (PROMETHEUS_MULTIPROC_DIR set) it serves the merged values of every process
    that wrote to that directory. OpenMetrics (with exemplars) is served when the scraper asks for it.
    """
    if registry is None:
        if multiprocess_enabled():
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
        else:
            registry = get_registry()
    server, thread = start_http_server(port, addr=addr, registry=registry)
    return server, thread
