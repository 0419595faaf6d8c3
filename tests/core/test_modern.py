"""Requests modern clients send, which the API accepts: the core must give NO error-severity finding."""

from __future__ import annotations

import pytest
from core_bodies import (
    SIG,
    TOOLS,
    WEATHER,
    asst,
    body,
    srv_use,
    system_msg,
    think,
    tool_loop,
    tr,
    tu,
    txt,
    user,
    web_result,
    wire,
)

from claude_otel.core import analyze

WEB = {"type": "web_search_20250305", "name": "web_search", "max_uses": 5}


def _schema(**props: str) -> dict:
    return {
        "type": "object",
        "properties": {k: {"type": v} for k, v in props.items()},
        "required": list(props),
    }


def claude_code_like() -> dict:
    """~12 tools (some deferred, found through tool search), system blocks with cache_control, system
    reminders after tool results, adaptive thinking with echoed thinking blocks, a mid-conversation system
    message, context management and metadata."""
    names = ["Bash", "Read", "Edit", "Write", "Glob", "Grep", "TodoWrite", "WebFetch", "Task", "NotebookEdit"]
    tools: list[dict] = [
        {"name": n, "description": f"{n} tool", "input_schema": _schema(arg="string")} for n in names
    ]
    tools[0]["cache_control"] = {"type": "ephemeral"}
    tools += [
        {"type": "tool_search_tool_regex_20251119", "name": "tool_search_tool_regex"},
        {
            "name": "mcp__github__create_issue",
            "description": "MCP",
            "input_schema": _schema(title="string"),
            "defer_loading": True,
        },
        {
            "name": "mcp__linear__search",
            "description": "MCP",
            "input_schema": _schema(q="string"),
            "defer_loading": True,
        },
    ]
    reminder = txt("<system-reminder>Todo list is empty.</system-reminder>")
    messages = [
        user([txt("<system-reminder>context</system-reminder>"), txt("Fix the failing test in foo.py")]),
        asst(
            [
                think("", SIG),
                txt("Let me look."),
                tu("toolu_01R", "Read", {"arg": "foo.py"}),
                tu("toolu_01G", "Grep", {"arg": "def test"}),
            ]
        ),
        # parallel results in completion order, then a reminder after the results
        user([tr("toolu_01G", [txt("foo.py:3")]), tr("toolu_01R", [txt("1 import os")]), reminder]),
        asst(
            [
                think("", SIG),
                srv_use("srvtoolu_01TS", "tool_search_tool_regex", {"pattern": "github"}),
                {
                    "type": "tool_search_tool_result",
                    "tool_use_id": "srvtoolu_01TS",
                    "content": {
                        "type": "tool_search_tool_search_result",
                        "tool_references": [
                            {"type": "tool_reference", "tool_name": "mcp__github__create_issue"}
                        ],
                    },
                },
                tu("toolu_01E", "Edit", {"arg": "patch"}),
            ]
        ),
        user([tr("toolu_01E", "ok", cache_control={"type": "ephemeral"}), reminder]),
        system_msg("The user switched to plan mode."),
        asst([think("", SIG), txt("Done. The test passes now.")]),
        user("thanks, also open an issue"),
    ]
    return body(
        messages,
        tools=tools,
        model="claude-opus-4-6",
        max_tokens=32000,
        system=[
            {"type": "text", "text": "You are Claude Code.", "cache_control": {"type": "ephemeral"}},
            {"type": "text", "text": "Environment: linux", "cache_control": {"type": "ephemeral"}},
        ],
        thinking={"type": "adaptive"},
        metadata={"user_id": "user_abc"},
        context_management={"edits": [{"type": "clear_tool_uses_20250919"}]},
        stream=True,
    )


VALID = {
    "plain": body([user("hi")], tools=None),
    "tool_loop": body(tool_loop()),
    "parallel_results_completion_order": body(tool_loop(n_calls=4, order=[2, 0, 3, 1])),
    "results_split_over_consecutive_user_messages": body(
        [
            user("q"),
            asst([tu("toolu_01A"), tu("toolu_01B")]),
            user([tr("toolu_01B")]),
            user([tr("toolu_01A")]),
        ]
    ),
    "system_message_mid_conversation": body(
        [user("hi"), system_msg("Be brief."), asst("Hello."), user("weather?")], tools=None
    ),
    "system_message_last": body(
        [user("hi"), asst("Hello."), user("weather?"), system_msg("Answer in French.")]
    ),
    "thread_continue_only_results_no_tools": body(
        [user([tr("toolu_01PREV", "18C")])],
        tools=None,
        thread={"type": "continue", "previous_message_id": "msg_01ABC"},
    ),
    "thread_continue_user_turn": body(
        [user("and tomorrow?")], thread={"type": "continue", "previous_message_id": "msg_01ABC"}
    ),
    "thread_create": body([user("hi")], thread={"type": "create"}),
    "tool_reference_in_tool_result_then_text": body(
        [
            user("find a tool for the weather"),
            asst([tu("toolu_01S", "find_tools", {"q": "weather"})]),
            user([tr("toolu_01S", [{"type": "tool_reference", "tool_name": "get_weather"}]), txt("use it")]),
        ],
        tools=[
            {"name": "find_tools", "input_schema": {"type": "object"}},
            {**WEATHER, "defer_loading": True},
        ],
    ),
    "thinking_empty_with_signature_tool_loop": body(
        [user("q"), asst([think("", SIG), tu("toolu_01A")]), user([tr("toolu_01A")])],
        thinking={"type": "enabled", "budget_tokens": 2048},
    ),
    "redacted_thinking_first": body(
        [
            user("q"),
            asst([{"type": "redacted_thinking", "data": "EmwKAhgBEgy"}, tu("toolu_01A")]),
            user([tr("toolu_01A")]),
        ],
        thinking={"type": "enabled", "budget_tokens": 2048},
    ),
    "interleaved_budget_above_max_tokens_with_tools": body(
        [user("q")], max_tokens=4000, thinking={"type": "enabled", "budget_tokens": 8000}
    ),
    "pause_turn_continuation_on_no_prefill_model": body(
        [
            user("search the web"),
            asst(
                [
                    txt("Searching."),
                    srv_use("srvtoolu_01A"),
                    web_result("srvtoolu_01A"),
                    srv_use("srvtoolu_01B"),
                ]
            ),
        ],
        tools=[WEB],
        model="claude-opus-4-6",
    ),
    "pause_turn_split_with_interleaved_thinking": body(
        [
            user("search the web"),
            asst([think("", SIG), srv_use("srvtoolu_01A")]),
            asst([web_result("srvtoolu_01A"), think("", SIG), txt("Found it.")]),
            user("thanks"),
        ],
        tools=[WEB],
        thinking={"type": "enabled", "budget_tokens": 2048},
    ),
    "web_search_history": body(
        [
            user("q"),
            asst(
                [
                    srv_use("srvtoolu_01A"),
                    web_result("srvtoolu_01A"),
                    {
                        "type": "text",
                        "text": "Sunny",
                        "citations": [
                            {
                                "type": "web_search_result_location",
                                "url": "https://example.com",
                                "title": "W",
                                "encrypted_index": "Eo8",
                                "cited_text": "x",
                            }
                        ],
                    },
                ]
            ),
            user("thanks"),
        ],
        tools=[WEB],
    ),
    "unknown_block_type_and_unknown_field": body(
        [
            user([txt("hi"), {"type": "hologram", "payload": {"x": 1}}]),
            asst([txt("Hi"), {"type": "fallback", "from": {"model": "a"}, "to": {"model": "b"}}]),
            user("go"),
        ],
        brand_new_param={"x": True},
    ),
    "tool_choice_none_keeps_tools": body(tool_loop(), tool_choice={"type": "none"}),
    "prefill_on_model_that_supports_it": body([user("JSON please"), asst("{")], tools=None),
    "final_assistant_empty_string": body([user("hi"), asst("")], tools=None),
    "code_execution_with_client_tool_and_container": body(
        [
            user("q"),
            asst(
                [
                    srv_use("srvtoolu_01CE", "code_execution", {"code": "x"}),
                    tu("toolu_01P", caller={"type": "code_execution_20250825", "tool_id": "srvtoolu_01CE"}),
                ]
            ),
            user([tr("toolu_01P")]),
        ],
        tools=[{"type": "code_execution_20250825", "name": "code_execution"}, *TOOLS],
        container="container_011CabcDEF",
    ),
    "mcp_toolset_with_tool_reference": body(
        [
            user("q"),
            asst([tu("toolu_01S", "find_tools", {})]),
            user([tr("toolu_01S", [{"type": "tool_reference", "tool_name": "remote_tool"}])]),
        ],
        tools=[
            {"name": "find_tools", "input_schema": {"type": "object"}},
            {"type": "mcp_toolset", "mcp_server_name": "srv", "default_config": {"defer_loading": True}},
        ],
        mcp_servers=[{"type": "url", "url": "https://mcp.example.com", "name": "srv"}],
    ),
    "claude_code_like": claude_code_like(),
}


@pytest.mark.parametrize("name", list(VALID))
@pytest.mark.parametrize("provider", ["anthropic", "vertex"])
def test_valid_modern_request_has_no_error_finding(name: str, provider: str) -> None:
    a = analyze(wire(VALID[name]), provider=provider)
    assert a.parse_error is None
    assert a.ok, [f for f in a.findings if f.severity == "error"]
    assert a.predicted in ("ok", "warning")


def test_claude_code_like_shape() -> None:
    a = analyze(wire(claude_code_like()))
    s = a.shape
    assert s.tools_declared == 13 and s.tools_deferred == 2
    assert s.messages_by_role == {"user": 4, "assistant": 3, "system": 1}
    assert s.thinking == "adaptive" and s.stream is True
    assert s.tool_reference_count == 1 and s.server_tool_use_count == 1 and s.server_tool_result_count == 1
    assert s.cache_control_count == 4
    assert s.text_before_tool_result is False and s.last_role == "user" and s.pending_tool_use_count == 0
    assert a.predicted == "ok", a.findings


def test_thread_continuation_is_not_judged_on_unseen_history() -> None:
    b = VALID["thread_continue_only_results_no_tools"]
    assert analyze(wire(b)).findings == ()
    without_thread = {k: v for k, v in b.items() if k != "thread"}
    rules = {f.rule for f in analyze(wire(without_thread)).findings}
    assert {"tool_result_orphan", "tools_required_for_tool_blocks"} <= rules


def test_pause_turn_sets_trailing_flag_and_is_ok() -> None:
    a = analyze(wire(VALID["pause_turn_continuation_on_no_prefill_model"]))
    assert a.shape.trailing_server_tool_use is True
    assert a.predicted == "ok"
