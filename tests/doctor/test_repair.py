"""The repair functions: each fixable rule on a request the analysis rejects, repaired into one it accepts;
thinking blocks and signatures untouched; nothing done when the error is not a fixable one."""

from __future__ import annotations

import copy

import orjson
import pytest

from claude_otel.core import analyze
from claude_otel.repair import FIXABLE_RULES, LOST_RESULT_TEXT, repair_messages, repair_request

THINK = {"type": "thinking", "thinking": "hm", "signature": "c2lnbmF0dXJl"}


def _use(n: int) -> dict:
    return {"type": "tool_use", "id": f"toolu_{n:024d}", "name": "Read", "input": {}}


def _res(n: int) -> dict:
    return {"type": "tool_result", "tool_use_id": f"toolu_{n:024d}", "content": "r"}


def _body(messages: list) -> bytes:
    tools = [{"name": "Read", "input_schema": {"type": "object"}}]
    return orjson.dumps(
        {"model": "claude-sonnet-4-5", "max_tokens": 100, "tools": tools, "messages": messages}
    )


CASES = {
    "tool_result_not_first": [
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": [THINK, _use(1), _use(2)]},
        {"role": "user", "content": [{"type": "text", "text": "hi"}, _res(1), _res(2)]},
    ],
    "tool_result_orphan": [
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": [THINK, _use(1)]},
        {"role": "user", "content": [_res(1), _res(9)]},
    ],
    "tool_result_missing": [
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": [THINK, _use(1), _use(2)]},
        {"role": "user", "content": [_res(2), {"type": "text", "text": "next"}]},
    ],
    "tool_results_split": [  # a warning alone; repaired next to the text-first error
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": [THINK, _use(1), _use(2)]},
        {"role": "user", "content": [{"type": "text", "text": "hi"}, _res(1)]},
        {"role": "user", "content": [_res(2)]},
    ],
}


@pytest.mark.parametrize("rule", sorted(CASES))
def test_each_fixable_rule_is_repaired_into_a_request_predicted_ok(rule: str) -> None:
    messages = CASES[rule]
    pristine = copy.deepcopy(messages)
    body = _body(messages)
    before = analyze(body)
    assert before.predicted == "error" and rule in {f.rule for f in before.findings}
    repaired = repair_request(body, before)
    assert repaired is not None and rule in repaired.rules
    assert repaired.analysis.predicted == "ok", repaired.analysis.findings
    assert messages == pristine  # the caller's messages are not mutated
    new = orjson.loads(repaired.body)["messages"]
    assert new[1] == messages[1]  # the assistant turn, thinking and signature included, is untouched
    results = [b for b in new[2]["content"] if b.get("type") == "tool_result"]
    assert new[2]["content"][: len(results)] == results  # results first
    assert repaired.header_value == ",".join(repaired.rules)


def test_missing_result_says_it_was_lost() -> None:
    fixed, edits = repair_messages(CASES["tool_result_missing"])
    assert [e.rule for e in edits] == ["tool_result_missing"]
    lost = fixed[2]["content"][0]
    assert lost["is_error"] is True and lost["tool_use_id"] == f"toolu_{1:024d}"
    assert lost["content"][0]["text"] == LOST_RESULT_TEXT


def test_healthy_and_unfixable_requests_are_left_alone() -> None:
    healthy = _body(
        [
            {"role": "user", "content": "go"},
            {"role": "assistant", "content": [_use(1)]},
            {"role": "user", "content": [_res(1)]},
        ]
    )
    assert repair_request(healthy, analyze(healthy)) is None
    # an error no repair removes (a tool_use in a user message) next to a fixable one: sent as is
    bad = _body([{"role": "user", "content": [_use(3)]}, *CASES["tool_result_not_first"][1:]])
    analysis = analyze(bad)
    assert analysis.predicted == "error" and "tool_result_not_first" in {f.rule for f in analysis.findings}
    assert repair_request(bad, analysis) is None
    assert {
        "tool_result_not_first",
        "tool_results_split",
        "tool_result_orphan",
        "tool_result_missing",
    } == FIXABLE_RULES
