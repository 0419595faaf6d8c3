"""Every enforced rule: a violating request gets the real API's 400 (exact text, body format, headers),
and a valid look-alike of the same request is accepted. Requests go over real HTTP to the mock."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from mockutil import LOOKALIKES, VIOLATIONS, load, post

from claude_otel.mock import ENFORCED_RULES, MockServer

T1, T2, T9 = "toolu_01A09q90qw90lq917835lq9", "toolu_01B19q90qw90lq917835lq9", "toolu_01Z99q90qw90lq917835lq9"
THINKING_DOC = "https://docs.claude.com/en/docs/build-with-claude/extended-thinking"

# fixture stem -> the exact message the real API answers with (reference §1)
EXPECTED: dict[str, str] = {
    "tool_result_missing": (
        f"messages.2: `tool_use` ids were found without `tool_result` blocks immediately after: {T1}. "
        "Each `tool_use` block must have a corresponding `tool_result` block in the next message."
    ),
    "tool_result_missing--text_before_results": (
        f"messages.2: `tool_use` ids were found without `tool_result` blocks immediately after: {T1}. "
        "Each `tool_use` block must have a corresponding `tool_result` block in the next message."
    ),
    "tool_result_missing--partial": (
        f"messages.2: `tool_use` ids were found without `tool_result` blocks immediately after: {T2}. "
        "Each `tool_use` block must have a corresponding `tool_result` block in the next message."
    ),
    "tool_result_orphan": (
        f"messages.2.content.1: unexpected `tool_use_id` found in `tool_result` blocks: {T9}. "
        "Each `tool_result` block must have a corresponding `tool_use` block in the previous message."
    ),
    "tool_result_in_assistant": "messages.1: `tool_result` blocks can only be in `user` messages",
    "tool_use_in_user": "messages.0: `tool_use` blocks can only be in `assistant` messages",
    "tool_use_id_duplicate": "messages.3.content.1: `tool_use` ids must be unique",
    "tool_result_duplicate": (
        "messages.2.content.1: each tool_use must have a single result. "
        f"Found multiple `tool_result` blocks with id: {T1}"
    ),
    "tool_result_duplicate--split": (
        "messages.3.content.0: each tool_use must have a single result. "
        f"Found multiple `tool_result` blocks with id: {T1}"
    ),
    "tool_result_empty_error": (
        "messages.2.content.0.tool_result: content cannot be empty if `is_error` is true"
    ),
    "tool_use_input_not_object": "messages.1.content.1.tool_use.input: Input should be a valid dictionary",
    "tools_required_for_tool_blocks": (
        "Requests which include `tool_use` or `tool_result` blocks must define tools."
    ),
    "tool_name_pattern": "tools.0.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'",
    "tool_use_id_pattern": "messages.1.content.1.tool_use.id: String should match pattern '^[a-zA-Z0-9_-]+$'",
    "tool_choice_shape": (
        "tool_choice: Input tag 'required' found using 'type' does not match any of the expected tags: "
        "'auto', 'any', 'tool', 'none'"
    ),
    "tool_choice_shape--string": "tool_choice: Input should be an object",
    "message_content_empty": (
        "messages.0: all messages must have non-empty content except for the optional final assistant message"
    ),
    "text_block_empty": "messages: text content blocks must be non-empty",
    "text_block_empty--whitespace": "messages: text content blocks must contain non-whitespace text",
    "prefill_trailing_whitespace": "messages: final assistant content cannot end with trailing whitespace",
    "prefill_unsupported": (
        "This model does not support assistant message prefill. "
        "The conversation must end with a user message."
    ),
    "thinking_missing_in_tool_loop": (
        "messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found `text`. When "
        "`thinking` is enabled, a final `assistant` message must start with a thinking block (preceeding the "
        "lastmost set of `tool_use` and `tool_result` blocks). We recommend you include thinking blocks from "
        "previous turns. To avoid this requirement, disable `thinking`. Please consult our documentation at "
        f"{THINKING_DOC}"
    ),
    "thinking_not_first": (
        "messages.1.content.0: If an assistant message contains any thinking blocks, the first block must be "
        "`thinking` or `redacted_thinking`. Found `text`."
    ),
    "thinking_modified": (
        "messages.1.content.0: `thinking` or `redacted_thinking` blocks in the latest assistant message "
        "cannot be modified. These blocks must remain as they were in the original response."
    ),
    "thinking_signature_invalid": "messages.1.content.0: Invalid `signature` in `thinking` block",
    "thinking_in_final_when_disabled": (
        "messages.1.content.0: When thinking is disabled, an `assistant` message in the final position "
        "cannot contain `thinking`. To use thinking blocks, enable `thinking` in your request."
    ),
    "thinking_in_final_when_disabled--absent": (
        "messages.1.content.0: When thinking is disabled, an `assistant` message in the final position "
        "cannot contain `thinking`. To use thinking blocks, enable `thinking` in your request."
    ),
    "thinking_final_block": "messages.1: The final block in an assistant message cannot be `thinking`.",
    "thinking_budget": "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024",
    "thinking_budget--max_tokens": (
        "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at "
        f"{THINKING_DOC}#max-tokens-and-context-window-size"
    ),
    "thinking_forced_tool_choice": "Thinking may not be enabled when tool_choice forces tool use.",
    "server_tool_result_orphan": (
        "messages.1.content.1: unexpected `tool_use_id` found in `web_search_tool_result` blocks: "
        "srvtoolu_01WYXz8cD9XeoCHn8Skr9tbq. Each `web_search_tool_result` block must have a corresponding "
        "`server_tool_use` block before it."
    ),
    "server_tool_use_without_result": (
        "messages.1.content.1: `web_search` tool use with id `srvtoolu_01WYXz8cD9XeoCHn8Skr9tbq` was found "
        "without a corresponding `web_search_tool_result` block"
    ),
    "container_required": (
        "container_id is required when there are pending tool uses generated by code execution with tools."
    ),
    "tool_reference_unknown": "Tool reference 'get_weather' not found in available tools",
    "all_tools_deferred": "At least one tool must have defer_loading=false. All tools cannot be deferred",
    "cache_control_limit": "A maximum of 4 blocks with cache_control may be provided. Found 5.",
    "image_too_large": (
        "messages.0.content.0.image.source.base64: image exceeds 5 MB maximum: 7000000 bytes > 5242880 bytes"
    ),
}

FIXTURES = sorted(p.stem for p in VIOLATIONS.glob("*.json"))


def rule_of(stem: str) -> str:
    return stem.split("--")[0]


def test_every_enforced_rule_has_a_fixture_and_a_lookalike() -> None:
    assert sorted({rule_of(s) for s in FIXTURES}) == sorted(ENFORCED_RULES)
    assert set(EXPECTED) == set(FIXTURES)
    assert {p.stem for p in LOOKALIKES.glob("*.json")} == set(FIXTURES)


@pytest.mark.parametrize("stem", FIXTURES)
def test_violation_gets_the_real_400(server: MockServer, stem: str) -> None:
    response = post(server, load(VIOLATIONS / f"{stem}.json"))
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["type"] == "error"
    assert body["error"] == {"type": "invalid_request_error", "message": EXPECTED[stem]}
    assert re.fullmatch(r"req_011C[A-Za-z0-9]+", body["request_id"])
    assert response.headers["request-id"] == body["request_id"]
    assert response.headers["x-should-retry"] == "false"
    assert server.stats[f"error:{rule_of(stem)}"] >= 1


@pytest.mark.parametrize("stem", FIXTURES)
def test_valid_lookalike_is_accepted(server: MockServer, stem: str) -> None:
    response = post(server, load(LOOKALIKES / f"{stem}.json"))
    assert response.status_code == 200, response.text
    message = response.json()
    assert message["type"] == "message" and message["role"] == "assistant"
    assert message["content"], "an accepted request gets an assistant turn"


def test_beta_query_and_system_messages_inside_messages_are_accepted(server: MockServer) -> None:
    body = load(LOOKALIKES / "tool_result_missing.json")
    body["messages"].insert(1, {"role": "system", "content": "Mid-conversation system note."})
    response = post(server, body, "/v1/messages?beta=true")
    assert response.status_code == 200, response.text


def test_consecutive_user_turns_are_merged_before_pairing(server: MockServer) -> None:
    body = load(LOOKALIKES / "tool_result_missing.json")
    body["messages"].append({"role": "user", "content": "Now also the time, please."})
    assert post(server, body).status_code == 200


def test_malformed_json_and_missing_fields_are_clear_400s(server: MockServer) -> None:
    response = httpx.post(server.base_url + "/v1/messages", content=b"{not json", timeout=30)
    assert response.status_code == 400
    assert "error parsing the body" in response.json()["error"]["message"]
    response = post(server, {"model": "claude-sonnet-4-5", "messages": []})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "max_tokens: Field required"


def test_unknown_endpoint_is_a_404_in_the_api_format(server: MockServer) -> None:
    response = httpx.get(server.base_url + "/v1/nothing-here", timeout=30)
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "not_found_error"


def test_count_tokens_counts_valid_bodies_and_rejects_broken_ones(server: MockServer) -> None:
    body = load(LOOKALIKES / "tool_result_missing.json")
    del body["max_tokens"]
    response = post(server, body, "/v1/messages/count_tokens")
    assert response.status_code == 200, response.text
    assert response.json()["input_tokens"] > 0
    response = post(server, load(VIOLATIONS / "tool_result_missing.json"), "/v1/messages/count_tokens")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == EXPECTED["tool_result_missing"]


def test_fixture_files_are_plain_request_bodies() -> None:
    for stem in FIXTURES:
        body = load(VIOLATIONS / f"{stem}.json")
        assert {"model", "max_tokens", "messages"} <= set(body), stem
        assert Path(VIOLATIONS / f"{stem}.json").stat().st_size > 0


def test_interleaved_thinking_beta_lets_the_budget_exceed_max_tokens(server: MockServer) -> None:
    body = load(LOOKALIKES / "thinking_budget.json")
    body.update(thinking={"type": "enabled", "budget_tokens": 8000}, max_tokens=4000)
    assert body["tools"], "the exception needs tools"
    assert post(server, body).status_code == 400
    response = post(server, body, **{"anthropic-beta": "interleaved-thinking-2025-05-14,other-beta"})
    assert response.status_code == 200, response.text
