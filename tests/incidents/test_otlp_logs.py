"""Each incident record is also an OpenTelemetry log record `claude_otel.incident`, linked to its attempt's
trace and span, exported over OTLP/HTTP: received here by a real HTTP server on loopback that decodes the
protobuf as a collector would. No canary in any of it."""

from __future__ import annotations

import gzip
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from forensics_support import CANARY, SESSION_ID, broken_turn_body, claude_code_headers
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
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


def test_incident_log_records_reach_an_otlp_receiver_linked_to_their_spans(tmp_path):
    receiver = Receiver()
    provider, notice = logger_provider_from_env({"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url})
    assert provider is not None and "/v1/logs" in notice
    spans = InMemorySpanExporter()
    tp = TracerProvider()
    tp.add_span_processor(SimpleSpanProcessor(spans))
    try:
        with MockServer(MockConfig(seed=4), host="127.0.0.1", port=0) as mock:
            inst = claude_otel.instrument(
                registry=CollectorRegistry(),
                tracer_provider=tp,
                logger_provider=provider,
                extra_base_urls=[mock.base_url],
            )  # no incidents_path: the records go to the logs only
            try:
                with httpx.Client(timeout=30) as client:
                    for _ in range(3):
                        r = client.post(
                            mock.base_url + "/v1/messages",
                            json=broken_turn_body(),
                            headers=claude_code_headers(),
                        )
                        assert r.status_code == 400
                assert inst.forensics.writer is not None and inst.forensics.writer.flush(20)
            finally:
                claude_otel.uninstrument()
        assert provider.force_flush(10_000)
    finally:
        provider.shutdown()
        receiver.close()

    incidents = [lr for lr in receiver.records() if lr.event_name == "claude_otel.incident"]
    assert len(incidents) == 3
    by_span = {
        format(s.context.span_id, "016x"): s
        for s in spans.get_finished_spans()
        if "httpx" in s.instrumentation_scope.name
    }
    for lr in incidents:
        attrs = {kv.key: kv.value for kv in lr.attributes}
        span = by_span[lr.span_id.hex()]  # linked to the span of its attempt
        assert lr.trace_id.hex() == format(span.context.trace_id, "032x")
        assert attrs["claude_otel.incident.id"].string_value == span.attributes["claude_otel.incident.id"]
        assert attrs["claude_otel.incident.category"].string_value == "tool_result_missing"
        assert attrs["claude_otel.incident.session"].string_value == f"claude-code:{SESSION_ID}"
        assert attrs["claude_otel.incident.client_version"].string_value == "claude-cli/2.1.332"
        if not attrs["claude_otel.incident.repeat_of_failure"].bool_value:  # repeats reuse the first's shape
            assert "failing" in attrs["claude_otel.incident.skeleton"].string_value
        else:
            assert "claude_otel.incident.skeleton" not in attrs
    repeats = sorted(
        {kv.key: kv.value for kv in lr.attributes}["claude_otel.incident.repeat_of_failure"].bool_value
        for lr in incidents
    )
    assert repeats == [False, True, True]
    assert all(CANARY.encode() not in raw for raw in receiver.raw)


def test_no_logger_provider_without_an_endpoint_or_with_logs_off():
    assert logger_provider_from_env({}) == (None, "")
    provider, notice = logger_provider_from_env(
        {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1", "OTEL_LOGS_EXPORTER": "none"}
    )
    assert provider is None and "off" in notice
