"""Every rule: one failing request body and one passing look-alike, as sent on the wire.

The failing body must produce the rule with the expected severity for the provider; the look-alike
(a request the API accepts) must produce neither that rule nor any error-severity finding.
"""

from __future__ import annotations

import pytest
from core_bodies import (
    MODEL,
    SEARCH,
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

from claude_otel.core import RULES, analyze

Q = user("What's the weather in Paris?")
CALL = asst([txt("Checking."), tu("toolu_01A")])
CALL2 = asst([txt("Checking both."), tu("toolu_01A"), tu("toolu_01B", "search_docs", {"q": "x"})])
WEB = {"type": "web_search_20250305", "name": "web_search"}
CODE = {"type": "code_execution_20250825", "name": "code_execution"}
PTC_TOOL = {**WEATHER, "allowed_callers": ["code_execution_20250825"]}
PTC_CALL = asst(
    [
        txt("Running code."),
        srv_use("srvtoolu_01CE", "code_execution", {"code": "get_weather('Paris')"}),
        tu("toolu_01P", caller={"type": "code_execution_20250825", "tool_id": "srvtoolu_01CE"}),
    ]
)
DEFERRED_TOOLS = [
    {"type": "tool_search_tool_regex_20251119", "name": "tool_search_tool_regex"},
    {**WEATHER, "defer_loading": True},
    {**SEARCH, "defer_loading": True},
]
THINK_ON = {"type": "enabled", "budget_tokens": 2048}
B64_SMALL = "A" * (1024 * 1024)
B64_BIG = "A" * (8 * 1024 * 1024)  # 6 MB decoded


def image(data: str) -> dict:
    return {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": data}}


def cc(block: dict) -> dict:
    return {**block, "cache_control": {"type": "ephemeral"}}


# (rule, provider, expected severity, failing body, passing look-alike)
CASES = [
    # A. pairing
    (
        "tool_result_missing",
        "anthropic",
        "error",
        body([Q, CALL2, user([tr("toolu_01A")])]),
        body([Q, CALL2, user([tr("toolu_01B"), tr("toolu_01A")])]),
    ),
    (
        "tool_result_missing",
        "anthropic",
        "error",  # a user text turn sent after a tool_use response
        body([Q, CALL, user("never mind")]),
        body([Q, CALL, user([tr("toolu_01A"), txt("never mind")])]),
    ),
    (
        "tool_result_not_first",
        "anthropic",
        "error",
        body([Q, CALL, user([txt("<system-reminder>note</system-reminder>"), tr("toolu_01A")])]),
        body([Q, CALL, user([tr("toolu_01A"), txt("<system-reminder>note</system-reminder>")])]),
    ),
    (
        "tool_use_not_trailing",
        "bedrock",
        "error",
        body([Q, asst([tu("toolu_01A"), txt("Let me know.")]), user([tr("toolu_01A")])]),
        body([Q, asst([txt("Let me know."), tu("toolu_01A")]), user([tr("toolu_01A")])]),
    ),
    (
        "tool_use_not_trailing",
        "anthropic",
        "warning",
        body([Q, asst([tu("toolu_01A"), txt("Let me know.")]), user([tr("toolu_01A")])]),
        body([Q, asst([txt("Let me know."), tu("toolu_01A")]), user([tr("toolu_01A")])]),
    ),
    (
        "tool_result_orphan",
        "anthropic",
        "error",
        body([Q, CALL, user([tr("toolu_01A"), tr("toolu_01ZZ")])]),
        body([Q, CALL, user([tr("toolu_01A")])]),
    ),
    (
        "tool_result_orphan",
        "anthropic",
        "error",  # history truncated: first message is a result
        body([user([tr("toolu_01A")]), asst("It is sunny."), user("thanks")]),
        body([user([txt("earlier: it was sunny")]), asst("It is sunny."), user("thanks")]),
    ),
    (
        "tool_result_in_assistant",
        "anthropic",
        "error",
        body([Q, asst([tu("toolu_01A"), tr("toolu_01A")])]),
        body([Q, asst([tu("toolu_01A")]), user([tr("toolu_01A")])]),
    ),
    (
        "tool_use_in_user",
        "anthropic",
        "error",
        body([user([txt("call it"), tu("toolu_01A")])]),
        body([user([txt("call it")]), asst([tu("toolu_01A")]), user([tr("toolu_01A")])]),
    ),
    (
        "tool_use_id_duplicate",
        "anthropic",
        "error",
        body([*tool_loop(), asst([tu("toolu_00ABC")]), user([tr("toolu_00ABC")])]),
        body([*tool_loop(), asst([tu("toolu_99ABC")]), user([tr("toolu_99ABC")])]),
    ),
    (
        "tool_result_duplicate",
        "anthropic",
        "error",
        body([Q, CALL2, user([tr("toolu_01A")]), user([tr("toolu_01A"), tr("toolu_01B")])]),
        body([Q, CALL2, user([tr("toolu_01A")]), user([tr("toolu_01B")])]),
    ),
    (
        "tool_results_split",
        "anthropic",
        "warning",
        body([Q, CALL2, user([tr("toolu_01A")]), user([tr("toolu_01B")])]),
        body([Q, CALL2, user([tr("toolu_01A"), tr("toolu_01B")])]),
    ),
    (
        "tool_result_field_missing",
        "anthropic",
        "error",
        body([Q, CALL, user([{"type": "tool_result", "content": "18C"}])]),
        body([Q, CALL, user([{"type": "tool_result", "tool_use_id": "toolu_01A"}])]),
    ),
    (
        "tool_result_field_missing",
        "anthropic",
        "error",
        body(
            [
                Q,
                asst([{"type": "tool_use", "id": "toolu_01A", "name": "get_weather"}]),
                user([tr("toolu_01A")]),
            ]
        ),
        body(
            [
                Q,
                asst([{"type": "tool_use", "id": "toolu_01A", "name": "get_weather", "input": {}}]),
                user([tr("toolu_01A")]),
            ]
        ),
    ),
    (
        "tool_result_empty_error",
        "anthropic",
        "error",
        body([Q, CALL, user([tr("toolu_01A", "", is_error=True)])]),
        body([Q, CALL, user([tr("toolu_01A", "timeout after 30s", is_error=True)])]),
    ),
    (
        "tool_use_input_not_object",
        "anthropic",
        "error",
        body([Q, asst([tu("toolu_01A", inp='{"city": "Paris"}')]), user([tr("toolu_01A")])]),
        body([Q, asst([tu("toolu_01A", inp={})]), user([tr("toolu_01A")])]),
    ),
    (
        "block_extra_fields",
        "anthropic",
        "error",
        body([Q, asst([tu("toolu_01A", index=1)]), user([tr("toolu_01A")])]),
        body([Q, asst([tu("toolu_01A", caller={"type": "direct"})]), user([tr("toolu_01A")])]),
    ),
    (
        "mixed_client_server_batch",
        "anthropic",
        "warning",
        body(
            [Q, PTC_CALL, user([tr("toolu_01P"), txt("also, hurry")])],
            tools=[CODE, PTC_TOOL],
            container="container_011CabcDEF",
        ),
        body(
            [Q, PTC_CALL, user([tr("toolu_01P")])], tools=[CODE, PTC_TOOL], container="container_011CabcDEF"
        ),
    ),
    # B. tool definitions
    (
        "tools_required_for_tool_blocks",
        "anthropic",
        "error",
        body(tool_loop(), tools=None),
        body(tool_loop(), tool_choice={"type": "none"}),
    ),
    (
        "tool_use_name_not_in_tools",
        "anthropic",
        "warning",
        body([Q, asst([tu("toolu_01A", "read_file", {"path": "a"})]), user([tr("toolu_01A")])]),
        body([Q, asst([tu("toolu_01A", "search_docs", {"q": "a"})]), user([tr("toolu_01A")])]),
    ),
    (
        "tool_name_pattern",
        "anthropic",
        "error",
        body([Q], tools=[{**WEATHER, "name": "weather.get"}]),
        body([Q], tools=[{**WEATHER, "name": "weather_get-v2"}]),
    ),
    (
        "tool_name_duplicate",
        "anthropic",
        "warning",
        body([Q], tools=[WEATHER, WEATHER]),
        body([Q], tools=[WEATHER, SEARCH]),
    ),
    (
        "tool_use_id_pattern",
        "anthropic",
        "error",
        body([Q, asst([tu("")]), user([tr("")])]),
        body([Q, asst([tu("call_abc-123")]), user([tr("call_abc-123")])]),
    ),
    (
        "tool_input_schema_invalid",
        "anthropic",
        "error",
        body([Q], tools=[{"name": "get_weather", "parameters": {"type": "object"}}]),
        body([Q], tools=[{"name": "get_weather", "input_schema": {"type": "object"}}]),
    ),
    (
        "tool_input_schema_invalid",
        "anthropic",
        "error",
        body([Q], tools=[{"name": "f", "input_schema": {"type": "object", "anyOf": [{"required": ["a"]}]}}]),
        body(
            [Q],
            tools=[
                {
                    "name": "f",
                    "input_schema": {
                        "type": "object",
                        "properties": {"a": {"anyOf": [{"type": "string"}, {"type": "null"}]}},
                    },
                }
            ],
        ),
    ),
    (
        "strict_schema_not_closed",
        "anthropic",
        "error",
        body([Q], tools=[{**WEATHER, "strict": True}]),
        body(
            [Q],
            tools=[
                {
                    **WEATHER,
                    "strict": True,
                    "input_schema": {**WEATHER["input_schema"], "additionalProperties": False},
                }
            ],
        ),
    ),
    (
        "tool_choice_shape",
        "anthropic",
        "error",
        body([Q], tool_choice="auto"),
        body([Q], tool_choice={"type": "auto"}),
    ),
    (
        "tool_choice_shape",
        "anthropic",
        "error",
        body([Q], tool_choice={"type": "required"}),
        body([Q], tool_choice={"type": "tool", "name": "get_weather"}),
    ),
    # C. roles and content
    (
        "role_invalid",
        "anthropic",
        "error",
        body([Q, {"role": "tool", "content": "18C"}]),
        body([Q, asst("It is 18C.")]),
    ),
    (
        "role_invalid",
        "anthropic",
        "error",
        body([system_msg("You are terse."), Q]),
        body([Q, system_msg("Be terse from now on.")]),
    ),
    ("messages_empty", "anthropic", "error", body([]), body([Q])),
    (
        "first_message_not_user",
        "bedrock",
        "error",
        body([asst("Hello! How can I help?"), Q]),
        body([Q, asst("Hello! How can I help?"), user("Paris")]),
    ),
    (
        "first_message_not_user",
        "anthropic",
        "warning",
        body([asst("Hello! How can I help?"), Q]),
        body([Q, asst("Hello! How can I help?"), user("Paris")]),
    ),
    (
        "consecutive_same_role",
        "bedrock",
        "warning",
        body([Q, user("and in Rome?")]),
        body([user([txt("What's the weather in Paris?"), txt("and in Rome?")])]),
    ),
    ("message_content_empty", "anthropic", "error", body([user(""), asst("Hi"), Q]), body([Q, asst("")])),
    ("message_content_empty", "anthropic", "error", body([Q, asst([]), user("hello?")]), body([Q, asst([])])),
    ("text_block_empty", "anthropic", "error", body([user([txt("  \n")])]), body([user([txt(" hi ")])])),
    (
        "text_block_empty",
        "anthropic",
        "error",
        body([Q, asst([txt(""), tu("toolu_01A")]), user([tr("toolu_01A")])]),
        body([Q, asst([txt("."), tu("toolu_01A")]), user([tr("toolu_01A")])]),
    ),
    (
        "prefill_trailing_whitespace",
        "anthropic",
        "error",
        body([Q, asst("The weather is ")]),
        body([Q, asst("The weather is")]),
    ),
    (
        "prefill_unsupported",
        "anthropic",
        "error",
        body([Q, asst("The weather is")], model="claude-opus-4-6"),
        body([Q, asst("The weather is"), user("go on")], model="claude-opus-4-6"),
    ),
    # D. thinking
    (
        "thinking_missing_in_tool_loop",
        "anthropic",
        "error",
        body([Q, asst([tu("toolu_01A")]), user([tr("toolu_01A")])], thinking=THINK_ON),
        body([Q, asst([think(""), tu("toolu_01A")]), user([tr("toolu_01A")])], thinking=THINK_ON),
    ),
    (
        "thinking_not_first",
        "anthropic",
        "error",
        body(
            [Q, asst([txt("Checking."), think(), tu("toolu_01A")]), user([tr("toolu_01A")])],
            thinking=THINK_ON,
        ),
        body(
            [Q, asst([think(), txt("Checking."), tu("toolu_01A")]), user([tr("toolu_01A")])],
            thinking=THINK_ON,
        ),
    ),
    (
        "thinking_field_missing",
        "anthropic",
        "error",
        body(
            [Q, asst([{"type": "thinking", "thinking": "hmm"}, tu("toolu_01A")]), user([tr("toolu_01A")])],
            thinking=THINK_ON,
        ),
        body(
            [
                Q,
                asst([{"type": "thinking", "thinking": "", "signature": SIG}, tu("toolu_01A")]),
                user([tr("toolu_01A")]),
            ],
            thinking=THINK_ON,
        ),
    ),
    (
        "thinking_in_final_when_disabled",
        "anthropic",
        "error",
        body([Q, asst([think(), txt("The weather is")])], thinking={"type": "disabled"}),
        body([Q, asst([think(), txt("The weather is")])], thinking=THINK_ON),
    ),
    (
        "thinking_final_block",
        "anthropic",
        "error",
        body([Q, asst([think()]), user("well?")], thinking=THINK_ON),
        body([Q, asst([think(), txt("It is sunny.")]), user("well?")], thinking=THINK_ON),
    ),
    (
        "thinking_budget",
        "anthropic",
        "error",
        body([Q], thinking={"type": "enabled", "budget_tokens": 512}),
        body([Q], thinking={"type": "enabled", "budget_tokens": 1024}),
    ),
    (
        "thinking_budget",
        "anthropic",
        "error",
        body([Q], tools=None, max_tokens=2000, thinking={"type": "enabled", "budget_tokens": 4000}),
        body([Q], tools=None, max_tokens=8000, thinking={"type": "enabled", "budget_tokens": 4000}),
    ),
    (
        "thinking_forced_tool_choice",
        "anthropic",
        "error",
        body([Q], thinking=THINK_ON, tool_choice={"type": "any"}),
        body([Q], thinking=THINK_ON, tool_choice={"type": "auto"}),
    ),
    (
        "thinking_sampling_params",
        "anthropic",
        "error",
        body([Q], thinking=THINK_ON, temperature=0.2),
        body([Q], thinking=THINK_ON, temperature=1),
    ),
    (
        "thinking_type_unsupported",
        "anthropic",
        "error",
        body([Q], model="claude-opus-4-7", thinking=THINK_ON),
        body([Q], model="claude-opus-4-7", thinking={"type": "adaptive"}),
    ),
    (
        "thinking_type_unsupported",
        "anthropic",
        "error",
        body([Q], model="claude-3-5-sonnet-20241022", max_tokens=4096, thinking=THINK_ON),
        body([Q], model="claude-3-7-sonnet-20250219", max_tokens=4096, thinking=THINK_ON),
    ),
    (
        "thinking_block_in_user",
        "anthropic",
        "warning",
        body([user([think(), txt("hi")])]),
        body([user([txt("hi")])]),
    ),
    (
        "cache_control_on_thinking",
        "anthropic",
        "error",
        body([Q, asst([cc(think()), tu("toolu_01A")]), user([tr("toolu_01A")])], thinking=THINK_ON),
        body([Q, asst([think(), cc(tu("toolu_01A"))]), user([tr("toolu_01A")])], thinking=THINK_ON),
    ),
    # E. server tools
    (
        "server_tool_id_pattern",
        "anthropic",
        "error",
        body(
            [Q, asst([srv_use("ws_0123"), web_result("ws_0123"), txt("Sunny.")]), user("thanks")], tools=[WEB]
        ),
        body(
            [
                Q,
                asst([srv_use("srvtoolu_01abc"), web_result("srvtoolu_01abc"), txt("Sunny.")]),
                user("thanks"),
            ],
            tools=[WEB],
        ),
    ),
    (
        "server_tool_name_invalid",
        "anthropic",
        "warning",
        body(
            [
                Q,
                asst(
                    [srv_use("srvtoolu_01abc", "google_search"), web_result("srvtoolu_01abc"), txt("Sunny.")]
                ),
                user("thanks"),
            ],
            tools=[WEB],
        ),
        body(
            [
                Q,
                asst([srv_use("srvtoolu_01abc", "web_search"), web_result("srvtoolu_01abc"), txt("Sunny.")]),
                user("thanks"),
            ],
            tools=[WEB],
        ),
    ),
    (
        "server_tool_result_orphan",
        "anthropic",
        "error",
        body([Q, asst([web_result("srvtoolu_01abc"), txt("Sunny.")]), user("thanks")], tools=[WEB]),
        # pause_turn split: use and result in consecutive assistant messages (merged by the API)
        body(
            [
                Q,
                asst([srv_use("srvtoolu_01abc")]),
                asst([web_result("srvtoolu_01abc"), txt("Sunny.")]),
                user("thanks"),
            ],
            tools=[WEB],
        ),
    ),
    (
        "server_tool_use_without_result",
        "anthropic",
        "error",
        body([Q, asst([txt("Searching."), srv_use("srvtoolu_01abc")]), user("Continue.")], tools=[WEB]),
        body([Q, asst([txt("Searching."), srv_use("srvtoolu_01abc")])], tools=[WEB]),
    ),
    (
        "server_tool_missing_from_tools",
        "anthropic",
        "warning",
        body(
            [
                Q,
                asst([srv_use("srvtoolu_01abc"), web_result("srvtoolu_01abc"), txt("Sunny.")]),
                user("thanks"),
            ]
        ),
        body(
            [
                Q,
                asst([srv_use("srvtoolu_01abc"), web_result("srvtoolu_01abc"), txt("Sunny.")]),
                user("thanks"),
            ],
            tools=[*TOOLS, WEB],
        ),
    ),
    # F. containers
    (
        "container_required",
        "anthropic",
        "error",
        body([Q, PTC_CALL, user([tr("toolu_01P")])], tools=[CODE, PTC_TOOL]),
        body(
            [Q, PTC_CALL, user([tr("toolu_01P")])], tools=[CODE, PTC_TOOL], container="container_011CabcDEF"
        ),
    ),
    # G. deferred tools
    (
        "tool_reference_unknown",
        "anthropic",
        "error",
        body(
            [
                Q,
                asst([tu("toolu_01S", "find_tools", {"q": "design"})]),
                user(
                    [tr("toolu_01S", [{"type": "tool_reference", "tool_name": "DesignSync"}]), txt("use it")]
                ),
            ],
            tools=[
                {"name": "find_tools", "input_schema": {"type": "object"}},
                {**WEATHER, "defer_loading": True},
            ],
        ),
        body(
            [
                Q,
                asst([tu("toolu_01S", "find_tools", {"q": "weather"})]),
                user(
                    [tr("toolu_01S", [{"type": "tool_reference", "tool_name": "get_weather"}]), txt("use it")]
                ),
            ],
            tools=[
                {"name": "find_tools", "input_schema": {"type": "object"}},
                {**WEATHER, "defer_loading": True},
            ],
        ),
    ),
    (
        "all_tools_deferred",
        "anthropic",
        "error",
        body([Q], tools=[{**WEATHER, "defer_loading": True}, {**SEARCH, "defer_loading": True}]),
        body([Q], tools=DEFERRED_TOOLS),
    ),
    # H. limits
    (
        "cache_control_limit",
        "anthropic",
        "error",
        body([user([cc(txt("a")), cc(txt("b")), cc(txt("c"))]), asst([cc(txt("d"))]), user([cc(txt("e"))])]),
        body([user([cc(txt("a")), cc(txt("b")), cc(txt("c"))]), asst([cc(txt("d"))]), user([txt("e")])]),
    ),
    (
        "image_too_large",
        "anthropic",
        "error",
        body([user([image(B64_BIG), txt("what is this?")])]),
        body([user([image(B64_SMALL), txt("what is this?")])]),
    ),
    (
        "image_too_large",
        "anthropic",
        "error",  # nested in a tool_result
        body([Q, CALL, user([tr("toolu_01A", [txt("screenshot"), image(B64_BIG)])])]),
        body([Q, CALL, user([tr("toolu_01A", [txt("screenshot"), image(B64_SMALL)])])]),
    ),
    (
        "max_tokens_exceeds_model",
        "anthropic",
        "error",
        body([Q], max_tokens=128000),
        body([Q], max_tokens=64000),
    ),
    (
        "field_required",
        "anthropic",
        "error",
        {"max_tokens": 1024, "messages": [Q]},
        {"model": MODEL, "max_tokens": 1024, "messages": [Q]},
    ),
    (
        "request_too_large",
        "anthropic",
        "error",  # a long pasted log: above 32 MiB the API (Cloudflare) answers 413
        body([user("x" * (32 * 1024 * 1024))]),
        body([user("x" * 31_900_000)]),
    ),
]
CROSS_TURN = {r.id for r in RULES.values() if r.cross_turn}


def _ids(case: tuple) -> str:
    return f"{case[0]}-{case[1]}"


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_rule_fires_on_failing_body_and_not_on_look_alike(case: tuple) -> None:
    rule, provider, severity, bad, good = case
    bad_a = analyze(wire(bad), provider=provider)
    hits = [f for f in bad_a.findings if f.rule == rule]
    assert hits, f"{rule} did not fire; findings: {bad_a.findings}"
    assert hits[0].severity == severity
    assert bad_a.predicted == ("error" if severity == "error" else bad_a.predicted)
    good_a = analyze(wire(good), provider=provider)
    assert not [f for f in good_a.findings if f.rule == rule], good_a.findings
    assert good_a.ok, [f for f in good_a.findings if f.severity == "error"]


def test_request_too_large_comes_first_and_is_a_warning_in_the_undocumented_band() -> None:
    # "32 MB": 32,000,000 or 33,554,432 bytes; in between the core cannot be sure
    maybe = analyze(wire(body([user("x" * 32_100_000), asst("ok"), user("")])))
    assert (maybe.findings[0].rule, maybe.findings[0].severity) == ("request_too_large", "warning")
    assert "32,000,000 bytes" in maybe.findings[0].message
    assert maybe.findings[1].rule == "message_content_empty"  # the other findings still follow


def test_every_rule_has_a_failing_case() -> None:
    covered = {c[0] for c in CASES}
    assert set(RULES) - CROSS_TURN - covered == set()


def test_cross_turn_rules_are_catalogued() -> None:
    assert {"container_mismatch", "thread_results_mismatch", "thinking_modified"} == CROSS_TURN
    assert "container_required" in RULES


def test_finding_paths_use_original_message_indexes() -> None:
    # consecutive user messages are merged by the API; paths still name the original message
    b = body([Q, user("also Rome"), CALL, user([tr("toolu_01A")]), user([txt("x"), tr("toolu_01ZZ")])])
    f = [x for x in analyze(wire(b)).findings if x.rule == "tool_result_orphan"]
    assert f[0].path == "messages.4.content.1"


def test_messages_name_the_fix() -> None:
    a = analyze(wire(body([Q, CALL2, user([tr("toolu_01A")])])))
    (f,) = [x for x in a.findings if x.rule == "tool_result_missing"]
    assert f.path == "messages.2"
    assert "toolu_01B" in f.message and "fix:" in f.message and "\n" not in f.message
