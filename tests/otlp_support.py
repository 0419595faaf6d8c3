"""Shared by tests/incidents and tests/deploy: claude-otel instrumented against the mock server, its log
records exported over OTLP/HTTP (the exporter a user configures with OTEL_EXPORTER_OTLP_ENDPOINT) to a real
HTTP server on loopback that decodes the protobuf as a collector would; the HTTP spans kept in memory."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import CollectorRegistry

import claude_otel
from claude_otel.incidents.otlp import logger_provider_from_env
from claude_otel.mock import MockConfig, MockServer


class Receiver:
    """An OTLP/HTTP logs endpoint: POST /v1/logs with an ExportLogsServiceRequest (protobuf)."""

    def __init__(self) -> None:
        self.requests: list[ExportLogsServiceRequest] = []
        self.raw: list[bytes] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                if self.headers.get("content-encoding") == "gzip":
                    body = gzip.decompress(body)
                request = ExportLogsServiceRequest()
                request.ParseFromString(body)
                receiver.raw.append(body)
                receiver.requests.append(request)
                self.send_response(200)
                self.send_header("content-type", "application/x-protobuf")
                self.send_header("content-length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def records(self) -> list[Any]:
        return [
            lr
            for req in self.requests
            for rl in req.resource_logs
            for sl in rl.scope_logs
            for lr in sl.log_records
        ]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class OtlpRun:
    receiver: Receiver
    provider: LoggerProvider  # the logger provider claude-otel exports through (the application's too)
    notice: str  # what logger_provider_from_env said about the endpoint
    spans: InMemorySpanExporter
    base_url: str  # the mock Messages API
    client: httpx.Client

    def http_spans(self) -> dict[str, Any]:
        """span id (hex) -> the finished HTTP client span of each attempt."""
        return {
            format(s.context.span_id, "016x"): s
            for s in self.spans.get_finished_spans()
            if "httpx" in s.instrumentation_scope.name
        }


@contextmanager
def exporting_over_otlp(seed: int = 4) -> Iterator[OtlpRun]:
    """Within the block, requests through `run.client` are instrumented (no incident store: the records go
    to the logs only); on leaving it the incident writer has flushed, the instrumentation is removed and
    every log record has reached the receiver, whose requests the caller then reads."""
    receiver = Receiver()
    provider, notice = logger_provider_from_env({"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url})
    assert provider is not None
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider(resource=provider.resource)
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    try:
        with MockServer(MockConfig(seed=seed), host="127.0.0.1", port=0) as mock:
            inst = claude_otel.instrument(
                registry=CollectorRegistry(),
                tracer_provider=tracer_provider,
                logger_provider=provider,
                extra_base_urls=[mock.base_url],
            )
            try:
                with httpx.Client(timeout=30) as client:
                    yield OtlpRun(receiver, provider, notice, spans, mock.base_url, client)
                assert inst.forensics.writer is not None and inst.forensics.writer.flush(20)
            finally:
                claude_otel.uninstrument()
        assert provider.force_flush(10_000)
    finally:
        provider.shutdown()
        receiver.close()
