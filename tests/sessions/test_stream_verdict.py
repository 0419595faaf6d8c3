"""A streamed response's verdict comes at its end, not with its 200 headers: an `event: error` in the middle
of the stream is a failure of the session, never a recovery; a stream that ends cleanly is the success.

Real HTTP on 127.0.0.1: the real anthropic SDK streams from the mock Messages API, which sends
`event: error` (overloaded_error) after the first content block when asked (`x-mock-fault: stream_error`).
"""

from __future__ import annotations

import anthropic
import pytest
from forensics_support import SESSION_ID, good_body, instrumented_mock, value

CATEGORY = "overloaded"
HEADERS = {"x-claude-code-session-id": SESSION_ID, "user-agent": "claude-cli/2.1.332 (external, cli)"}


def _client(rig) -> anthropic.Anthropic:
    return anthropic.Anthropic(
        api_key="sk-ant-test", base_url=rig.mock.base_url, max_retries=0, default_headers=HEADERS
    )


def _stream(client: anthropic.Anthropic, *, fault: bool, read_all: bool = True) -> list[str]:
    """One streamed Messages call, read the way an application reads it; the event types it saw."""
    body = good_body()
    seen: list[str] = []
    stream = client.messages.create(
        model=body["model"],
        max_tokens=body["max_tokens"],
        metadata={"user_id": body["metadata"]["user_id"]},
        messages=body["messages"],
        stream=True,
        extra_headers={"x-mock-fault": "stream_error"} if fault else None,
    )
    with stream:
        for event in stream:
            seen.append(event.type)
            if not read_all:
                break
    return seen


def _stream_errors(client: anthropic.Anthropic, n: int) -> None:
    for _ in range(n):
        with pytest.raises(anthropic.APIStatusError) as info:
            _stream(client, fault=True)
        assert "Overloaded" in str(info.value)  # the application saw the failure, after a 200


def test_mid_stream_errors_are_failures_of_the_session_not_recoveries(tmp_path):
    with instrumented_mock(tmp_path) as rig:
        client = _client(rig)
        _stream_errors(client, 3)
        m = rig.metrics()
        spans = rig.http_spans()
    assert [s.attributes["http.status_code"] for s in spans] == [200] * 3
    assert value(m, "claude_otel_streams_total", outcome="error_event") == 3
    assert value(m, "claude_otel_errors_total", category=CATEGORY, status_class="stream") == 3
    # the 200s did not "recover" the session between its failures: one failure experienced, two repeats,
    # the session stuck after three failing attempts in a row
    assert value(m, "claude_otel_session_recoveries_total") == 0
    assert value(m, "claude_otel_failures_experienced_total", category=CATEGORY) == 1
    assert value(m, "claude_otel_failure_repeats_total", category=CATEGORY) == 2
    assert value(m, "claude_otel_stuck_sessions", category=CATEGORY) == 1


def test_a_stream_that_ends_cleanly_is_the_recovery(tmp_path):
    with instrumented_mock(tmp_path) as rig:
        client = _client(rig)
        _stream_errors(client, 3)
        seen = _stream(client, fault=False)
        m = rig.metrics()
    assert seen[0] == "message_start" and seen[-1] == "message_stop"
    assert value(m, "claude_otel_session_recoveries_total", category=CATEGORY, via="retry") == 1
    assert value(m, "claude_otel_session_recoveries_total") == 1
    assert value(m, "claude_otel_stuck_sessions") == 0


def test_a_stream_abandoned_before_its_end_is_no_verdict(tmp_path):
    with instrumented_mock(tmp_path) as rig:
        client = _client(rig)
        _stream_errors(client, 3)
        assert _stream(client, fault=False, read_all=False) == ["message_start"]
        m = rig.metrics()
    assert value(m, "claude_otel_streams_total", outcome="incomplete") == 1
    assert value(m, "claude_otel_session_recoveries_total") == 0
    assert value(m, "claude_otel_stuck_sessions", category=CATEGORY) == 1


def test_a_failure_then_a_clean_json_answer_is_still_a_recovery(tmp_path):
    """Not streamed: the 200's verdict is given with its headers, as before."""
    with instrumented_mock(tmp_path) as rig:
        client = _client(rig)
        _stream_errors(client, 1)
        body = good_body()
        reply = client.messages.create(
            model=body["model"],
            max_tokens=body["max_tokens"],
            metadata={"user_id": body["metadata"]["user_id"]},
            messages=body["messages"],
        )
        assert reply.stop_reason
        m = rig.metrics()
    assert value(m, "claude_otel_session_recoveries_total", category=CATEGORY, via="retry") == 1
