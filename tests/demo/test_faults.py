"""Each fault injector breaks exactly the rule it is meant to break, and nothing it does not need to."""

from __future__ import annotations

import copy

import pytest

from claude_otel.core import analyze
from claude_otel.demo import faults
from claude_otel.demo.faults import FAULTS, FaultNotApplicable, inject

from .transcripts import CLEAN, code_execution_loop, thinking_loop, tool_loop, tool_search_loop


def _error_rules(body: dict) -> set[str]:
    return {f.rule for f in analyze(body).findings if f.severity == "error"}


@pytest.mark.parametrize("scenario", sorted(CLEAN))
def test_clean_transcripts_have_no_error_finding(scenario: str) -> None:
    assert _error_rules(CLEAN[scenario]()) == set()


@pytest.mark.parametrize("kind", sorted(FAULTS))
def test_fault_breaks_the_intended_rule(kind: str) -> None:
    fault = FAULTS[kind]
    body = CLEAN[fault.needs]()
    before = copy.deepcopy(body)
    buggy = inject(kind, body)
    assert body == before, "the injector must not mutate its input"
    assert buggy != body
    errors = _error_rules(buggy)
    assert errors, f"{kind}: the core predicted no error for the buggy request"
    assert errors & fault.rules, f"{kind}: expected one of {sorted(fault.rules)}, core said {sorted(errors)}"
    assert analyze(buggy).predicted == "error"


def _results(message: dict) -> list[str]:
    return [b["tool_use_id"] for b in message["content"] if b.get("type") == "tool_result"]


def test_drop_result_drops_only_the_last_result() -> None:
    body = tool_loop(rounds=1, parallel=2)
    out = faults.drop_result(body["messages"])
    assert _results(out[-1]) == ["toolu_00abc"]
    assert out[:-1] == body["messages"][:-1]


def test_drop_result_of_a_single_call_leaves_an_interrupted_note() -> None:
    body = tool_loop(rounds=1, parallel=1)
    out = faults.drop_result(body["messages"])
    assert out[-1]["content"] == [{"type": "text", "text": faults.INTERRUPTED_TEXT}]


def test_text_before_results_puts_text_first() -> None:
    out = faults.text_before_results(tool_loop()["messages"])
    assert [b["type"] for b in out[-1]["content"]] == ["text", "tool_result", "tool_result"]


def test_split_results_puts_an_assistant_turn_between_results() -> None:
    out = faults.split_results(tool_loop(rounds=1, parallel=2)["messages"])
    assert [m["role"] for m in out] == ["user", "assistant", "user", "assistant", "user"]
    assert _results(out[2]) == ["toolu_00abc"] and _results(out[4]) == ["toolu_01abc"]


def test_duplicate_result_repeats_one_result() -> None:
    out = faults.duplicate_result(tool_loop()["messages"])
    assert _results(out[-1]) == ["toolu_10abc", "toolu_11abc", "toolu_10abc"]


def test_duplicate_tool_use_id_reuses_an_earlier_id_and_keeps_pairing() -> None:
    out = faults.duplicate_tool_use_id(tool_loop(rounds=2)["messages"])
    last_uses = [b["id"] for b in out[-2]["content"] if b["type"] == "tool_use"]
    assert last_uses == ["toolu_10abc", "toolu_00abc"]
    assert _results(out[-1]) == ["toolu_10abc", "toolu_00abc"]


def test_duplicate_tool_use_id_needs_an_earlier_turn() -> None:
    with pytest.raises(FaultNotApplicable):
        faults.duplicate_tool_use_id(tool_loop(rounds=1)["messages"])


def test_strip_thinking_removes_thinking_only() -> None:
    out = faults.strip_thinking(thinking_loop()["messages"])
    assert [b["type"] for b in out[1]["content"]] == ["text", "tool_use"]
    with pytest.raises(FaultNotApplicable):
        faults.strip_thinking(tool_loop()["messages"])


def test_drop_container_removes_only_the_container() -> None:
    body = code_execution_loop()
    out = faults.drop_container(body)
    assert "container" not in out
    assert {k: v for k, v in body.items() if k != "container"} == out
    with pytest.raises(FaultNotApplicable):
        faults.drop_container(out)


def test_forget_deferred_tool_removes_the_granted_tool() -> None:
    out = faults.forget_deferred_tool(tool_search_loop())
    assert [t["name"] for t in out["tools"]] == ["tool_search_tool_regex", "get_time"]
    with pytest.raises(FaultNotApplicable):
        faults.forget_deferred_tool(tool_loop())


def test_bad_input_gets_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown fault kind 'nope'"):
        inject("nope", tool_loop())
    with pytest.raises(TypeError, match="messages must be a list"):
        faults.drop_result("not a list")  # type: ignore[arg-type]
    with pytest.raises(FaultNotApplicable, match="no assistant turn with tool_use"):
        faults.drop_result([{"role": "user", "content": "hi"}])
