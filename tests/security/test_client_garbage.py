"""A request body that is not JSON is the client's problem: predicted="unparsed" on the request metrics,
not claude_otel_internal_errors_total (which feeds the "exporter internal errors" alert)."""

from __future__ import annotations

import httpx

from claude_otel.instrumentation.internal import INTERNAL_REASONS

from .conftest import metric


def test_non_json_bodies_do_not_count_as_our_errors(upstream, start_proxy):
    server, proxy = start_proxy(upstream.base_url)
    with httpx.Client(timeout=10) as client:
        for garbage in (b"{not json", b"\xff\xfe\x00", b"[1,2,3]", b'"a string"'):
            assert client.post(server.base_url + "/v1/messages", content=garbage).status_code == 200
    assert metric(proxy, "claude_otel_requests_total", predicted="unparsed") == 4
    for reason in INTERNAL_REASONS:
        assert metric(proxy, "claude_otel_internal_errors_total", reason=reason) == 0, reason
