"""What keeps a failure cheap on the request path gives the same answers as the plain way: the repeat
signature's typed decode and its slow path (a body whose values do not fit the types), the memo by length
and checksum, and the windowed skeleton built from the shown messages only (the rest never decoded)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from forensics_support import broken_turn_body, shed

from claude_otel.core import analyze
from claude_otel.core.skeleton import skeleton
from claude_otel.incidents.record import (
    _is_prompt,
    build_record,
    failing_index,
    rewind_target,
    window_skeleton,
)
from claude_otel.incidents.split import last_prompt, split
from claude_otel.sessions import key
from claude_otel.sessions.key import repeat_signature, repeat_signature_of

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
import claude_code_bodies  # noqa: E402


def _bodies() -> list[tuple[str, bytes]]:
    """The recorded real-client bodies (read here: a file holds the body under "body") and generated
    Claude Code-shaped ones."""
    out = []
    for path in sorted((ROOT / "tests" / "fixtures" / "realclients").rglob("*.json")):
        value = orjson.loads(path.read_bytes())
        if isinstance(value, dict) and isinstance(value.get("body"), dict) and "messages" in value["body"]:
            out.append((path.name, orjson.dumps(value["body"])))
    out += [
        (f"generated {t} turns", claude_code_bodies.request(claude_code_bodies.session(t))) for t in (3, 30)
    ]
    out.append(("broken turn, 40 turns", orjson.dumps(broken_turn_body(extra_turns=40))))
    return out


def test_the_typed_decode_and_the_slow_path_build_the_same_shape():
    bodies = _bodies()
    assert len(bodies) > 10
    for name, raw in bodies:
        assert key._shape_fast(raw) == key._shape_slow(raw), name


def test_a_body_that_does_not_fit_the_types_still_gets_a_signature_and_sheds_the_same():
    body = broken_turn_body()
    odd_turn = {"role": "user", "content": ["a bare string", 7]}
    odd = dict(body, messages=[body["messages"][0], odd_turn, *body["messages"][1:]])
    sig = repeat_signature(orjson.dumps(odd))
    assert sig is not None and sig != repeat_signature(orjson.dumps(body))
    assert repeat_signature(orjson.dumps(shed(odd))) == sig
    numeric_id = dict(body, messages=[{"role": "assistant", "content": [{"type": "tool_use", "id": 12}]}])
    assert repeat_signature(orjson.dumps(numeric_id)) is not None
    assert repeat_signature(b'{"messages": "not a list"}') is None


def test_the_memo_answers_like_the_walk():
    a = orjson.dumps(broken_turn_body(extra_turns=3))
    b = orjson.dumps(broken_turn_body(extra_turns=4))
    for raw in (a, b, a, bytes(bytearray(a))):  # a fresh copy of the same bytes: remembered
        assert repeat_signature_of(raw) == repeat_signature(raw)
    # the same length, other bytes: not taken for the other body
    c = a.replace(b'"Read"', b'"Reed"', 1)
    assert len(c) == len(a) and c != a
    assert repeat_signature_of(c) == repeat_signature(c)
    assert repeat_signature_of(None) is None


def _record_and_full(raw: bytes, findings: Any, message: str | None) -> tuple[dict, Any, Any, Any]:
    """The record of a 400 with ``message`` for ``raw``; the whole body's skeleton, and the failing message
    and block (the record's skeleton must be that skeleton windowed around them)."""
    record = build_record(
        kind="http_error",
        raw=raw,
        user_agent=None,
        betas=None,
        endpoint="messages",
        predicted="error",
        findings=findings,
        status=400,
        error_message=message,
    )
    paths = [f.path for f in findings if f.severity == "error"]
    fail_msg, fail_block = failing_index([*paths, message])
    return record, skeleton(raw), fail_msg, fail_block


@pytest.mark.parametrize("message", ["messages.3: x", "messages.9.content.1: y", None])
def test_the_windowed_skeleton_is_the_full_skeleton_windowed(message):
    for name, raw in _bodies():
        record, full, fail_msg, fail_block = _record_and_full(raw, analyze(raw).findings, message)
        assert record["skeleton"] == window_skeleton(full, fail_msg, fail_block), name


def _prompt_bodies() -> list[bytes]:
    """Bodies whose user turns put the typed pass's shortcuts to the test: a prompt whose text mentions
    tool_result, an escaped type, a block that is not an object, content that is null or an object, a
    tool loop long enough that its results are decoded together."""
    base = broken_turn_body(extra_turns=12)
    turns = base["messages"]
    odd = [
        {"role": "user", "content": [{"type": "text", "text": 'a prompt about "tool_result" blocks'}]},
        {"role": "assistant", "content": [{"type": "text", "text": "ok"}]},
        {"role": "user", "content": None},
        {"role": "assistant", "content": [{"type": "text", "text": "ok"}]},
        {"role": "user", "content": {"type": "text"}},
        {"role": "assistant", "content": [{"type": "text", "text": "ok"}]},
        {"role": "user", "content": ["a bare string", {"type": "text", "text": "x"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "ok"}]},
    ]
    out = [orjson.dumps(base), orjson.dumps(dict(base, messages=[*odd, *turns]))]
    escaped = orjson.dumps(dict(base, messages=[*turns[:1], *odd[:2], *turns[1:]]))
    out.append(escaped.replace(b'"type":"tool_result"', b'"type":"tool\\u005fresult"'))
    out.append(orjson.dumps(dict(base, messages=[*turns[:-1], *odd[-2:], turns[-1]])))
    out.append(orjson.dumps(dict(base, messages=[*turns[:-1], odd[-2], turns[-1]])))
    return out


@pytest.mark.parametrize("extra", [{}, {"an_unknown_field": 1}])
def test_the_one_pass_and_the_two_pass_split_give_the_full_skeleton_windowed(extra):
    """A body of known top-level fields is split in one typed pass; one with another field takes two
    passes: both give the full skeleton windowed, the prompt to rewind to included."""
    bodies = [raw for _, raw in _bodies()] + _prompt_bodies()
    for raw in bodies:
        if extra:
            raw = orjson.dumps(dict(orjson.loads(raw), **extra))
        assert (split(raw) is None) == bool(extra)
        findings = analyze(raw).findings
        n = len(orjson.loads(raw)["messages"])
        # (an index at or past the end: an error about the message that should have come next)
        for message in (
            None,
            f"messages.{n // 2}: x",
            f"messages.{n - 1}.content.0: y",
            f"messages.{n}: z",
            f"messages.{n + 40}: w",
        ):
            record, full, fail_msg, fail_block = _record_and_full(raw, findings, message)
            assert record["skeleton"] == window_skeleton(full, fail_msg, fail_block)
            assert record["rewind_to_message"] == rewind_target(full, fail_msg)


def test_last_prompt_answers_like_reading_every_message():
    for raw in _prompt_bodies():
        parts = split(raw)
        assert parts is not None
        messages = parts[1]
        value = orjson.loads(raw)["messages"]
        for end in range(len(messages) + 1):
            expected = next((i for i in range(end - 1, -1, -1) if _is_prompt(value[i])), None)
            assert last_prompt(messages, end) == expected, end
