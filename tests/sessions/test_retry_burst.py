"""Claude Code's retry burst, counted as the user experienced it: six identical failing requests (every one
with x-stainless-retry-count: 0, later ones shedding betas and tool search) are one failure experienced and
six attempts, on the spans and in /metrics; a later success in the session is a recovery."""

from __future__ import annotations

import anthropic
import httpx
from forensics_support import (
    CLAUDE_CODE_UA,
    SESSION_ID,
    broken_turn_body,
    claude_code_headers,
    good_body,
    instrumented_mock,
    shed,
    value,
)

CATEGORY = "tool_result_missing"


def _burst(rig, session: str = SESSION_ID, n: int = 6) -> list[int]:
    """Claude Code's six attempts: the first two with betas and tool search, then betas dropped, then tool
    search dropped (the order the CLI sheds them)."""
    statuses = []
    body = broken_turn_body(session)
    with httpx.Client(timeout=30) as client:
        for attempt in range(n):
            betas = None if attempt >= 2 else claude_code_headers()["anthropic-beta"]
            sent = shed(body) if attempt >= 4 else body
            r = client.post(rig.url, json=sent, headers=claude_code_headers(session, betas))
            statuses.append(r.status_code)
    return statuses


def test_a_claude_code_retry_burst_is_one_failure_experienced_and_six_attempts(tmp_path):
    with instrumented_mock(tmp_path) as rig:
        assert _burst(rig) == [400] * 6
        m = rig.metrics()
        spans = rig.http_spans()

    assert value(m, "claude_otel_errors_total", category=CATEGORY) == 6  # attempts stay visible
    assert value(m, "claude_otel_requests_total", outcome="invalid_request") == 6
    assert value(m, "claude_otel_failures_experienced_total", category=CATEGORY, client="claude-code") == 1
    assert value(m, "claude_otel_failure_repeats_total", category=CATEGORY, client="claude-code") == 5
    assert value(m, "claude_otel_stuck_sessions", category=CATEGORY) == 1
    # the session id is never a label
    assert not any(SESSION_ID in str(labels) for _name, labels in m)

    assert len(spans) == 6
    spans.sort(key=lambda s: s.start_time)
    assert [s.attributes["claude_otel.repeat_of_failure"] for s in spans] == [False] + [True] * 5
    assert [s.attributes["claude_otel.retry_attempt"] for s in spans] == [0, 1, 2, 3, 4, 5]
    assert len({s.attributes["claude_otel.incident.burst_id"] for s in spans}) == 1
    assert {s.attributes["claude_otel.session.key"] for s in spans} == {f"claude-code:{SESSION_ID}"}
    assert spans[-1].attributes["claude_otel.session.stuck"] is True


def test_a_success_after_the_burst_is_a_recovery_and_the_session_is_no_longer_stuck(tmp_path):
    with instrumented_mock(tmp_path) as rig:
        _burst(rig)
        # the CLI's next attempt, after a rewind: a conversation that works, same session
        r = httpx.post(rig.url, json=good_body(), headers=claude_code_headers(), timeout=30)
        assert r.status_code == 200
        m = rig.metrics()
    assert value(m, "claude_otel_session_recoveries_total", category=CATEGORY, via="retry") == 1
    assert value(m, "claude_otel_stuck_sessions") == 0


def test_two_sessions_and_two_conversations_are_separate_failures(tmp_path):
    with instrumented_mock(tmp_path) as rig:
        _burst(rig, "11111111-aaaa-4bbb-8ccc-000000000001", n=3)
        _burst(rig, "11111111-aaaa-4bbb-8ccc-000000000002", n=3)
        # the same session, a different conversation failing within the window: a new failure
        other = broken_turn_body("11111111-aaaa-4bbb-8ccc-000000000002", extra_turns=1)
        headers = claude_code_headers("11111111-aaaa-4bbb-8ccc-000000000002")
        assert httpx.post(rig.url, json=other, headers=headers, timeout=30).status_code == 400
        m = rig.metrics()
    assert value(m, "claude_otel_failures_experienced_total", category=CATEGORY) == 3
    assert value(m, "claude_otel_failure_repeats_total", category=CATEGORY) == 4
    assert value(m, "claude_otel_errors_total", category=CATEGORY) == 7


def test_the_anthropic_sdk_burst_without_a_session_header_is_one_failure(tmp_path):
    """The real SDK, six calls with max_retries=0 (each says retry count 0): the session comes from the
    session_id inside metadata.user_id."""
    with instrumented_mock(tmp_path) as rig:
        client = anthropic.Anthropic(
            base_url=rig.mock.base_url,
            api_key="sk-ant-test",
            max_retries=0,
            default_headers={"user-agent": CLAUDE_CODE_UA},
        )
        body = broken_turn_body(deferred_tools=False)
        for _ in range(6):
            try:
                client.messages.create(**body)
            except anthropic.BadRequestError:
                pass
            else:  # pragma: no cover - the mock must answer 400
                raise AssertionError("the broken turn was accepted")
        m = rig.metrics()
        spans = rig.http_spans()
    assert value(m, "claude_otel_failures_experienced_total", category=CATEGORY) == 1
    assert value(m, "claude_otel_failure_repeats_total", category=CATEGORY) == 5
    keys = {s.attributes["claude_otel.session.key"] for s in spans}
    assert keys == {f"metadata:{SESSION_ID}"}
