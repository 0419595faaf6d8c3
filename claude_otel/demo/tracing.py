"""Traces for the demo: an OpenTelemetry SDK tracer provider, so the agents' requests have real spans
(the SDK's ``anthropic.messages.create`` span and the HTTP span under it, where claude-otel puts the request
shape) and the Prometheus counters carry trace-id exemplars.

Spans are counted in-process; they are exported over OTLP only when the standard variable
``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) is set and the ``otlp`` extra
is installed.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

SERVICE_NAME = "claude-otel-demo"
OTLP_ENV = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")


class SpanCounter(SpanProcessor):
    """Counts ended spans by name, and those that carry claude-otel attributes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.by_name: Counter[str] = Counter()
        self.with_shape = 0

    def on_end(self, span: ReadableSpan) -> None:
        shaped = any(k.startswith("claude_otel.") for k in (span.attributes or {}))
        with self._lock:
            self.by_name[span.name] += 1
            self.with_shape += shaped

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "by_name": dict(sorted(self.by_name.items())),
                "with_claude_otel_attributes": self.with_shape,
            }


def make_tracer_provider(say: Callable[[str], None]) -> tuple[TracerProvider, SpanCounter, str | None]:
    """(provider, span counter, OTLP endpoint or None)."""
    provider = TracerProvider(resource=Resource.create({"service.name": SERVICE_NAME}))
    counter = SpanCounter()
    provider.add_span_processor(counter)
    endpoint = next((os.environ[k] for k in OTLP_ENV if os.environ.get(k)), None)
    if endpoint:
        try:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        except ImportError:
            say(f"{OTLP_ENV[1]} is set but the OTLP exporter is missing: pip install 'claude-otel[otlp]'")
            endpoint = None
        else:
            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
            say(f"exporting spans over OTLP to {endpoint}")
    return provider, counter, endpoint
