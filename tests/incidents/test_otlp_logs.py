"""Each incident record is also an OpenTelemetry log record `claude_otel.incident`, linked to its attempt's
trace and span, exported over OTLP/HTTP: received here by a real HTTP server on loopback that decodes the
protobuf as a collector would. No canary in any of it."""

from __future__ import annotations

from forensics_support import CANARY, SESSION_ID, broken_turn_body, claude_code_headers
from otlp_support import exporting_over_otlp

from claude_otel.incidents.otlp import logger_provider_from_env


def test_incident_log_records_reach_an_otlp_receiver_linked_to_their_spans():
    with exporting_over_otlp() as run:
        for _ in range(3):
            r = run.client.post(
                run.base_url + "/v1/messages", json=broken_turn_body(), headers=claude_code_headers()
            )
            assert r.status_code == 400
    assert "/v1/logs" in run.notice
    receiver = run.receiver

    incidents = [lr for lr in receiver.records() if lr.event_name == "claude_otel.incident"]
    assert len(incidents) == 3
    by_span = run.http_spans()
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
