"""The session key's sources and the session table's verdicts, memory bounds and clock (pure)."""

from __future__ import annotations

import json

import orjson
from forensics_support import broken_turn_body, shed

from claude_otel.sessions import SessionTable, conversation, repeat_signature, session_key
from claude_otel.sessions.key import current_conversation


def _key(headers: dict, body: dict | None, conv: str | None = None):
    raw = orjson.dumps(body) if body is not None else None
    return session_key(headers.get, raw, conv)


def test_the_key_comes_from_the_header_then_metadata_then_the_application_then_a_digest():
    body = broken_turn_body("sess-from-metadata")
    assert str(_key({"x-claude-code-session-id": "hdr-1"}, body)) == "claude-code:hdr-1"
    assert str(_key({}, body)) == "metadata:sess-from-metadata"
    plain = {k: v for k, v in body.items() if k != "metadata"}
    assert str(_key({}, plain, "order-4711")) == "conversation:order-4711"
    assert str(_key({"x-claude-otel-conversation-id": "conv-9"}, plain)) == "conversation:conv-9"
    digest = _key({}, plain)
    assert digest is not None and digest.kind == "digest"
    # the same conversation one turn later keeps its key; another conversation gets another one
    longer = dict(plain, messages=[*plain["messages"], {"role": "assistant", "content": "ok"}])
    assert _key({}, longer) == digest
    other = dict(plain, messages=[{"role": "user", "content": "something else"}])
    assert _key({}, other) != digest
    # hostile values never become keys
    assert _key({"x-claude-code-session-id": "a b\n<script>"}, None) is None
    bad_meta = dict(plain, metadata={"user_id": json.dumps({"session_id": "x" * 500})})
    assert _key({}, bad_meta).kind == "digest"


def test_conversation_context_manager_sets_and_resets():
    assert current_conversation() is None
    with conversation("c-1"):
        assert current_conversation() == "c-1"
    assert current_conversation() is None


def test_the_repeat_signature_ignores_what_a_retry_sheds_and_sees_a_changed_conversation():
    body = broken_turn_body()
    sig = repeat_signature(orjson.dumps(body))
    assert sig is not None
    assert repeat_signature(orjson.dumps(shed(body))) == sig  # tools[] and betas are not in it
    assert repeat_signature(orjson.dumps(broken_turn_body(extra_turns=1))) != sig
    edited = broken_turn_body(prompt="a longer prompt than the canary string was")
    assert repeat_signature(orjson.dumps(edited)) != sig
    assert repeat_signature(b"not json") is None


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_repeats_stuck_and_recovery():
    clock = Clock()
    t = SessionTable(repeat_window=10, stuck_after=3, clock=clock, wall=clock)
    v = [t.failure("s", "sig", "tool_result_missing", f"b{i}") for i in range(4)]
    assert [x.repeat for x in v] == [False, True, True, True]
    assert [x.burst_attempt for x in v] == [0, 1, 2, 3]
    assert {x.burst_id for x in v} == {"b0"}
    assert [x.stuck for x in v] == [False, False, True, True]
    assert t.stuck_by_category() == {"tool_result_missing": 1}
    clock.now += 60  # a resume a minute later: a new failure experienced, the session still stuck
    again = t.failure("s", "sig", "tool_result_missing", "b9")
    assert not again.repeat and again.burst_id == "b9" and again.stuck
    ok = t.success("s")
    assert ok.recovered and ok.via == "retry" and ok.category == "tool_result_missing"
    assert t.stuck() == [] and not t.has_failing
    assert not t.success("s").recovered


def test_a_retry_header_makes_a_repeat_even_when_the_body_changed_and_the_window_ends_a_burst():
    clock = Clock()
    t = SessionTable(repeat_window=10, clock=clock, wall=clock)
    t.failure("s", "a", "rate_limit", "b0")
    assert t.failure("s", "b", "rate_limit", "b1", retry_header=1).repeat
    clock.now += 11
    assert not t.failure("s", "b", "rate_limit", "b2", retry_header=1).repeat
    clock.now += 3601
    assert t.stuck() == []  # idle sessions stop counting as stuck


def test_memory_is_bounded_in_entries_and_bytes():
    t = SessionTable(max_entries=100, max_bytes=10_000_000)
    for i in range(1000):
        t.failure(f"claude-code:{i:08d}", "sig", "overloaded", "b")
    assert len(t) == 100
    t = SessionTable(max_entries=1_000_000, max_bytes=50_000)
    for i in range(1000):
        t.failure("k" * 120 + str(i), "sig", "overloaded", "b")
    assert t.approx_bytes <= 50_000 and len(t) < 1000
    assert t.has_failing
    t0 = SessionTable(max_entries=0)
    assert not t0.failure("s", "a", "x", "b").repeat and len(t0) == 0 and not t0.has_failing
