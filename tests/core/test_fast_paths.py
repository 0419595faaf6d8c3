"""The speed-ups of the core take fast paths for well-formed turns; these tests drive the fast paths and
the full diagnosis on the same generated tool loops (valid ones and ones with pairing bugs) and require
identical findings and shape flags, so a fast path can never hide or invent a finding."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claude_otel.core import analyze
from claude_otel.core.checks_pairing import _check_assistant, _check_user, check_pairing
from claude_otel.core.findings import Collector
from claude_otel.core.types import Shape
from claude_otel.core.walk import Turn, walk_messages

SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
IDS = ["toolu_01A", "toolu_01B", "toolu_01C", "toolu_01D"]


def full_pairing(turns: list[Turn], shape: Shape, out: Collector, thread: bool) -> None:
    """check_pairing without its fast paths: every turn through the full checks."""
    real = [t for t in turns if t.role != "system"]
    last_real = real[-1] if real else None
    prev_asst = None
    for k, turn in enumerate(real):
        if turn.role == "assistant":
            nxt = real[k + 1] if k + 1 < len(real) else None
            _check_assistant(turn, nxt, nxt is last_real, shape, out)
            prev_asst = turn
        else:
            if turn.results or turn.result_msgs:
                _check_user(turn, prev_asst, shape, out, thread)
            prev_asst = None


@st.composite
def tool_loops(draw: st.DrawFn) -> list[dict]:
    messages: list[dict] = [{"role": "user", "content": "go"}]
    for _ in range(draw(st.integers(1, 4))):
        calls = draw(st.lists(st.sampled_from(IDS), min_size=0, max_size=3))
        blocks: list[dict] = [{"type": "text", "text": "calling"}]
        blocks += [{"type": "tool_use", "id": c, "name": "get_weather", "input": {}} for c in calls]
        if draw(st.booleans()) and draw(st.integers(0, 4)) == 0:
            blocks.append({"type": "text", "text": "after"})
        if draw(st.integers(0, 5)) == 0:
            blocks.insert(
                1, {"type": "server_tool_use", "id": "srvtoolu_01X", "name": "web_search", "input": {}}
            )
        messages.append({"role": "assistant", "content": blocks})
        answered = draw(st.permutations(calls)) if calls else []
        answered = answered[: draw(st.integers(0, len(answered)))] if draw(st.booleans()) else answered
        answered += draw(st.lists(st.sampled_from(IDS), max_size=1))  # orphans / duplicates
        results = [{"type": "tool_result", "tool_use_id": a, "content": "ok"} for a in answered]
        if draw(st.integers(0, 4)) == 0:
            results.insert(draw(st.integers(0, len(results))), {"type": "text", "text": "note"})
        if results and draw(st.integers(0, 5)) == 0:  # results split over two user messages
            messages.append({"role": "user", "content": results[:1]})
            results = results[1:] or [{"type": "text", "text": "more"}]
        messages.append({"role": "user", "content": results or "next"})
    if draw(st.booleans()):
        messages.pop()  # end on the assistant turn (pending calls)
    return messages


@SETTINGS
@given(tool_loops(), st.booleans())
def test_pairing_fast_paths_match_the_full_checks(messages: list[dict], thread: bool) -> None:
    results = []
    for check in (check_pairing, full_pairing):
        shape, out = Shape(), Collector("anthropic")
        turns = walk_messages(messages, Shape(), Collector("anthropic")).turns
        check(turns, shape, out, thread)
        results.append((out.items, shape.as_dict()))
    assert results[0] == results[1]


def test_generated_loops_reach_both_paths() -> None:
    # a valid loop takes the fast path and has no finding; a missing result is still reported
    ok = [
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_01A", "name": "f", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_01A", "content": "x"}]},
        {"role": "assistant", "content": "done"},
        {"role": "user", "content": "thanks"},
    ]
    tools = [{"name": "f", "input_schema": {"type": "object"}}]
    body = {"model": "claude-sonnet-4-5", "max_tokens": 10, "tools": tools, "messages": ok}
    assert analyze(body).findings == ()
    bad = [*ok[:2], {"role": "user", "content": "never mind"}, *ok[3:]]
    assert {f.rule for f in analyze({**body, "messages": bad}).findings} == {"tool_result_missing"}
