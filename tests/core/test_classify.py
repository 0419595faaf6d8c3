"""The error classifier on the real error texts of ../shared/reference/anthropic-shape-rules.md.

Every category is exercised on a text quoted there, as the API sends it and as each proxy wraps it,
with and without the Markdown backticks, and with terminal line wraps.
"""

from __future__ import annotations

import json

import orjson
import pytest

from claude_otel.core import CATEGORIES, RULES, Classification, classify_error
from claude_otel.core.classify import CATEGORY_INFO

# (category, exact error message as quoted in the reference)
REAL_400_TEXTS: list[tuple[str, str]] = [
    (
        "tool_result_missing",
        "messages.22: `tool_use` ids were found without `tool_result` blocks immediately after: "
        "toolu_01HqfLWiAKQLsniF2fBGF2KD, toolu_01SJzDkeAZER935cpGFptTNk. Each `tool_use` block must have a "
        "corresponding `tool_result` block in the next message.",
    ),
    (
        "tool_result_missing",
        "messages.224: Did not find 1 `tool_result` block(s) at the beginning of this message. Messages "
        "following `tool_use` blocks must begin with a matching number of `tool_result` blocks.",
    ),
    (
        "tool_result_orphan",
        "messages.48.content.1: unexpected `tool_use_id` found in `tool_result` blocks: "
        "toolu_019ETtGZEhTBXgWPVsdVnXMh. Each `tool_result` block must have a corresponding `tool_use` "
        "block in the previous message.",
    ),
    ("tool_result_in_assistant", "messages.1: `tool_result` blocks can only be in `user` messages"),
    ("tool_use_in_user", "messages.0: `tool_use` blocks can only be in `assistant` messages"),
    ("tool_use_id_duplicate", "messages.1.content.1: `tool_use` ids must be unique"),
    (
        "tool_result_duplicate",
        "messages.10.content.1: each tool_use must have a single result. Found multiple `tool_result` "
        "blocks with id: toolu_vrtx_01WjbYafn5hwELEqiDQ4n2wv",
    ),
    ("tool_result_field_missing", "messages.2.content.0.tool_result.tool_use_id: Field required"),
    (
        "tool_result_empty_error",
        "messages.150.content.0.tool_result: content cannot be empty if `is_error` is true",
    ),
    ("tool_use_input_not_object", "messages.3.content.1.tool_use.input: Input should be a valid dictionary"),
    ("block_extra_fields", "messages.1.content.1.tool_use.index: Extra inputs are not permitted"),
    ("block_extra_fields", "messages.65.content.1.tool_use.text: Extra inputs are not permitted"),
    (
        "block_extra_fields",
        "messages.1.content.6.tool_search_tool_result.content.RequestToolSearchToolResultError."
        "error_message: Extra inputs are not permitted",
    ),
    (
        "tools_required_for_tool_blocks",
        "Requests which include `tool_use` or `tool_result` blocks must define tools.",
    ),
    (
        "tools_required_for_tool_blocks",
        "ValidationException: The toolConfig field must be defined when using the toolUse and toolResult "
        "content blocks",
    ),
    ("tool_name_pattern", "tools.7.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'"),
    ("tool_name_pattern", "tools.16.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'"),
    (
        "tool_use_id_pattern",
        "messages.1.content.1.tool_use.id: String should match pattern '^[a-zA-Z0-9_-]+$'",
    ),
    ("tool_input_schema_invalid", "tools.0.custom.input_schema: Field required"),
    (
        "tool_input_schema_invalid",
        "tools.17.custom.input_schema: JSON schema is invalid. It must match JSON Schema draft 2020-12 "
        "(https://json-schema.org/draft/2020-12). Learn more about tool use at "
        "https://platform.claude.com/docs/en/agents-and-tools/tool-use/overview.",
    ),
    (
        "tool_input_schema_invalid",
        "tools.1.custom.input_schema: input_schema does not support oneOf, allOf, or anyOf at the top level",
    ),
    (
        "strict_schema_not_closed",
        "tools.0.custom: For 'object' type, 'additionalProperties' must be explicitly set to false",
    ),
    (
        "tool_choice_shape",
        "tool_choice: Input tag 'required' found using 'type' does not match any of the expected tags: "
        "'auto', 'any', 'tool', 'none'",
    ),
    ("tool_choice_shape", "tool_choice: Input should be an object"),
    ("beta_field_not_enabled", "tools.0.custom.defer_loading: Extra inputs are not permitted"),
    ("beta_field_not_enabled", "tools.3.custom.input_examples: Extra inputs are not permitted"),
    ("beta_field_not_enabled", "context_management: Extra inputs are not permitted"),
    ("beta_field_not_enabled", "system.1.cache_control.ephemeral.scope: Extra inputs are not permitted"),
    ("role_invalid", "messages.0: use the top-level 'system' parameter for the initial system prompt"),
    ("role_invalid", "role 'system' is not supported on this model"),
    ("role_invalid", "role 'system' must precede an 'assistant' message"),
    ("first_message_not_user", 'messages: first message must use the "user" role'),
    (
        "consecutive_same_role",
        'messages: roles must alternate between "user" and "assistant", but found multiple "assistant" '
        "roles in a row",
    ),
    (
        "message_content_empty",
        "messages.0: all messages must have non-empty content except for the optional "
        "final assistant message",
    ),
    ("text_block_empty", "messages: text content blocks must be non-empty"),
    ("text_block_empty", "messages: text content blocks must contain non-whitespace text"),
    ("prefill_trailing_whitespace", "messages: final assistant content cannot end with trailing whitespace"),
    (
        "prefill_unsupported",
        "This model does not support assistant message prefill. The conversation must "
        "end with a user message.",
    ),
    (
        "thinking_missing_in_tool_loop",
        "messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found `tool_use`. When "
        "`thinking` is enabled, a final `assistant` message must start with a thinking block (preceeding the "
        "lastmost set of `tool_use` and `tool_result` blocks). We recommend you include thinking blocks from "
        "previous turns. To avoid this requirement, disable `thinking`. Please consult our documentation at "
        "https://docs.claude.com/en/docs/build-with-claude/extended-thinking",
    ),
    (
        "thinking_not_first",
        "messages.1.content.0: If an assistant message contains any thinking blocks, the first block must be "
        "`thinking` or `redacted_thinking`. Found `text`.",
    ),
    (
        "thinking_modified",
        "messages.3.content.11: `thinking` or `redacted_thinking` blocks in the latest assistant message "
        "cannot be modified. These blocks must remain as they were in the original response.",
    ),
    ("thinking_signature_invalid", "messages.1.content.0: Invalid `signature` in `thinking` block"),
    ("thinking_signature_invalid", "Invalid data in redacted_thinking block"),
    ("thinking_field_missing", "messages.4.content.0.thinking.signature: Field required"),
    ("thinking_field_missing", "messages.9.content.0.thinking.thinking: Field required"),
    (
        "thinking_in_final_when_disabled",
        "messages.1.content.0: When thinking is disabled, an `assistant` message in the final position "
        "cannot contain `thinking`. To use thinking blocks, enable `thinking` in your request.",
    ),
    ("thinking_final_block", "messages.1: The final block in an assistant message cannot be `thinking`."),
    (
        "thinking_budget",
        "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at "
        ""
        "https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size",
    ),
    ("thinking_budget", "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"),
    ("thinking_forced_tool_choice", "Thinking may not be enabled when tool_choice forces tool use."),
    (
        "thinking_sampling_params",
        "`temperature` may only be set to 1 when thinking is enabled. Please consult our documentation at "
        "https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking#important-considerations-when-"
        "using-extended-thinking",
    ),
    (
        "thinking_type_unsupported",
        '"thinking.type.enabled" is not supported for this model. Use "thinking.type.adaptive" and '
        '"output_config.effort" to control thinking behavior.',
    ),
    ("thinking_type_unsupported", "adaptive thinking is not supported on this model"),
    (
        "server_tool_id_pattern",
        "messages.3.content.2.server_tool_use.id: String should match pattern '^srvtoolu_[a-zA-Z0-9_]+$'",
    ),
    (
        "server_tool_result_orphan",
        "messages.7.content.4: unexpected `tool_use_id` found in `web_search_tool_result` blocks: "
        "srvtoolu_01XYTs8cD9XeoCHn8Skr9tbq. Each `web_search_tool_result` block must have a corresponding "
        "`server_tool_use` block before it.",
    ),
    (
        "server_tool_result_orphan",
        "messages.7.content.0: unexpected `tool_use_id` found in `advisor_tool_result` blocks: "
        "srvtoolu_01JjfQsdhSJkT7qLCL7Pj9jc. Each `advisor_tool_result` block must have a corresponding "
        "`server_tool_use` block before it.",
    ),
    (
        "server_tool_use_without_result",
        "`web_search` tool use with id `srvtoolu_01XYTs8cD9XeoCHn8Skr9tbq` was found without a corresponding "
        "`web_search_tool_result` block",
    ),
    (
        "server_tool_name_invalid",
        "messages.3.content.1.server_tool_use.name: Input should be 'web_search', 'web_fetch', "
        "'code_execution', 'bash_code_execution', 'text_editor_code_execution', 'tool_search_tool_regex' "
        "or 'tool_search_tool_bm25'",
    ),
    ("encrypted_content_modified", "Invalid encrypted_content in search_result block"),
    ("encrypted_content_modified", "Failed to decrypt web search result content"),
    (
        "container_required",
        "container_id is required when there are pending tool uses generated by code execution with tools.",
    ),
    ("tool_reference_unknown", "Tool reference 'DesignSync' not found in available tools"),
    ("all_tools_deferred", "At least one tool must have defer_loading=false. All tools cannot be deferred"),
    ("cache_control_limit", "A maximum of 4 blocks with cache_control may be provided. Found 5."),
    (
        "cache_control_on_thinking",
        "messages.1.content.0.thinking.cache_control: Extra inputs are not permitted",
    ),
    ("prompt_too_long", "prompt is too long: 200251 tokens > 200000 maximum"),
    (
        "context_overflow_with_max_tokens",
        "input length and `max_tokens` exceed context limit: 199759 + 8192 > 200000, decrease input length "
        "or `max_tokens` and try again",
    ),
    (
        "max_tokens_exceeds_model",
        "max_tokens: 128001 > 64000, which is the maximum allowed number of output tokens for "
        "claude-opus-4-5-20251101",
    ),
    (
        "image_too_large",
        "messages.38.content.0.image.source.base64: image exceeds 5 MB maximum: 7894984 "
        "bytes > 5242880 bytes",
    ),
    (
        "image_too_large",
        "messages.168.content.0.tool_result.content.1.image.source.base64: image exceeds 5 MB maximum: "
        "7894984 bytes > 5242880 bytes",
    ),
    (
        "image_dimensions_many_image",
        "messages.2.content.1.image.source.base64.data: At least one of the image dimensions exceed max "
        "allowed size for many-image requests: 2000 pixels",
    ),
    ("pdf_invalid", "A maximum of 100 PDF pages may be provided."),
    ("pdf_invalid", "The PDF specified is password protected"),
    ("pdf_invalid", "The PDF specified was not valid"),
    ("invalid_model", "system: Invalid model name"),
    ("extra_inputs", "response_format: Extra inputs are not permitted"),
    ("field_required", "messages.0.role: Field required"),
    (
        "union_tag_invalid",
        "messages.2.content.0: Input tag 'fallback' found using 'type' does not match "
        "any of the expected tags",
    ),
]

# Claude Code's rewritten display texts (reference §1 A1/A4/A7, §3.2)
CLAUDE_CODE_TEXTS: list[tuple[str, str]] = [
    (
        "tool_result_missing",
        "API Error: 400 due to tool use concurrency issues. Run /rewind to recover the conversation.",
    ),
    ("tool_result_missing", "API Error: 400 due to tool use concurrency issues."),
    (
        "tool_use_id_duplicate",
        "API Error: 400 duplicate tool_use ID in conversation history. Run /rewind to "
        "recover the conversation.",
    ),
    ("tool_result_orphan", "API Error: 400 orphaned tool_result in conversation history"),
    (
        "tool_reference_unknown",
        "API Error: 400 Tool reference 'mcp__claude_ai_Indeed__get_company_data' not "
        "found in available tools",
    ),
    ("prompt_too_long", "Prompt is too long"),
]


def api_body(message: str, error_type: str = "invalid_request_error", request_id: str | None = None) -> str:
    body: dict = {"type": "error", "error": {"type": error_type, "message": message}}
    if request_id:
        body["request_id"] = request_id
    return json.dumps(body)


def vertex(message: str) -> str:
    inner = api_body(message, request_id="req_vrtx_011CSURy8kJA4QAXZjsnBj5N")
    return json.dumps({"error": {"code": 400, "message": inner, "status": "INVALID_ARGUMENT"}})


def bedrock(message: str) -> str:
    return (
        "An error occurred (ValidationException) when calling the InvokeModel operation: "
        "The model returned the following errors: " + message
    )


def bedrock_json(message: str) -> str:
    return json.dumps({"message": message})


def openrouter(message: str) -> str:
    raw = api_body(message, request_id="req_011CSURy8kJA4QAXZjsnBj5N")
    return json.dumps(
        {
            "error": {
                "message": "Provider returned error",
                "code": 400,
                "metadata": {"raw": raw, "provider_name": "Anthropic"},
            }
        }
    )


def litellm(message: str) -> str:
    raw = api_body(message).encode()
    return f"litellm.BadRequestError: AnthropicException - {raw!r}"


def copilot(message: str) -> str:
    return json.dumps({"message": message, "code": "invalid_request_body"})


def python_sdk(message: str) -> str:
    return "Error code: 400 - " + repr(
        {
            "type": "error",
            "error": {"type": "invalid_request_error", "message": message},
            "request_id": "req_x1",
        }
    )


def claude_code_raw(message: str) -> str:
    return "API Error: 400 " + api_body(message)


def litellm_proxy(message: str) -> str:
    # the LiteLLM proxy's OpenAI-style error around the exception text
    return json.dumps({"error": {"message": litellm(message), "type": None, "param": None, "code": "400"}})


def copilot_nested(message: str) -> str:
    return json.dumps({"error": {"message": message, "code": "invalid_request_body"}})


WRAPPERS = {
    "litellm_proxy": litellm_proxy,
    "copilot_nested": copilot_nested,
    "api": lambda m: api_body(m, request_id="req_011CSURy8kJA4QAXZjsnBj5N"),
    "vertex": vertex,
    "bedrock": bedrock,
    "bedrock_json": bedrock_json,
    "openrouter": openrouter,
    "litellm": litellm,
    "copilot": copilot,
    "python_sdk": python_sdk,
    "claude_code_raw": claude_code_raw,
    "bare": lambda m: m,
}


def _ids(cases: list[tuple[str, str]]) -> list[str]:
    return [f"{c}-{i}" for i, (c, _) in enumerate(cases)]


@pytest.mark.parametrize("wrapper", list(WRAPPERS))
@pytest.mark.parametrize(("category", "text"), REAL_400_TEXTS, ids=_ids(REAL_400_TEXTS))
def test_real_text_in_every_envelope(category: str, text: str, wrapper: str) -> None:
    result = classify_error(WRAPPERS[wrapper](text))
    assert result.category == category
    if wrapper in (
        "api",
        "vertex",
        "openrouter",
        "litellm",
        "litellm_proxy",
        "python_sdk",
        "claude_code_raw",
    ):
        assert result.error_type == "invalid_request_error"
    if wrapper in (
        "vertex",
        "openrouter",
        "copilot",
        "copilot_nested",
        "litellm_proxy",
        "python_sdk",
        "claude_code_raw",
        "bedrock",
    ):
        assert (result.family, result.status) == ("4xx", 400)
    if wrapper == "litellm":  # status read from the exception class name
        assert result.status == 400


@pytest.mark.parametrize(("category", "text"), REAL_400_TEXTS, ids=_ids(REAL_400_TEXTS))
def test_real_text_without_backticks_and_line_wrapped(category: str, text: str) -> None:
    plain = text.replace("`", "")
    assert classify_error(plain, 400).category == category
    # a terminal wraps at 40 columns, mid-word; GitHub renders without backticks
    wrapped = "\n".join(plain[i : i + 40] for i in range(0, len(plain), 40))
    assert classify_error(wrapped, 400).category == category
    # pasted as escaped JSON inside another JSON string (double escaping)
    escaped = json.dumps(api_body(text))
    assert classify_error(escaped, 400).category == category


@pytest.mark.parametrize(("category", "text"), CLAUDE_CODE_TEXTS, ids=_ids(CLAUDE_CODE_TEXTS))
def test_claude_code_rewrites(category: str, text: str) -> None:
    result = classify_error(text)
    assert result.category == category
    if text.startswith("API Error: 400"):
        assert (result.family, result.status) == ("4xx", 400)


def test_tool_result_not_first_text_maps_to_missing() -> None:
    # reference A2: text before the results gives exactly the A1 text
    text = (
        "messages.5: `tool_use` ids were found without `tool_result` blocks immediately after: call_XXX. "
        "Each `tool_use` block must have a corresponding `tool_result` block in the next message."
    )
    assert classify_error(api_body(text), 400).category == "tool_result_missing"


def test_api_body_fields_are_extracted() -> None:
    text = REAL_400_TEXTS[0][1]
    result = classify_error(api_body(text, request_id="req_011CSURy8kJA4QAXZjsnBj5N").encode(), 400)
    assert result == Classification(
        family="4xx",
        status=400,
        error_type="invalid_request_error",
        category="tool_result_missing",
        request_id="req_011CSURy8kJA4QAXZjsnBj5N",
        message=text.replace("`", ""),
    )


def test_vertex_request_id_and_status_from_envelope() -> None:
    result = classify_error(vertex("messages.1.content.1: `tool_use` ids must be unique"))
    assert result.request_id == "req_vrtx_011CSURy8kJA4QAXZjsnBj5N"
    assert (result.family, result.status, result.category) == ("4xx", 400, "tool_use_id_duplicate")


def test_unknown_400_message_is_invalid_request_other() -> None:
    result = classify_error(api_body("messages.3: something the catalogue has never seen"), 400)
    assert result.category == "invalid_request_other"
    assert result.error_type == "invalid_request_error"


@pytest.mark.parametrize(
    ("status", "error_type", "message", "category"),
    [
        (
            429,
            "rate_limit_error",
            "Number of request tokens has exceeded your per-minute rate limit",
            "rate_limit",
        ),
        (529, "overloaded_error", "Overloaded", "overloaded"),
        (500, "api_error", "Internal server error", "server_error"),
        (401, "authentication_error", "invalid x-api-key", "authentication"),
        (
            403,
            "permission_error",
            "Your API key does not have permission to use the specified resource.",
            "permission",
        ),
        (404, "not_found_error", "model: sonnet", "not_found"),
        (413, "request_too_large", "Request too large for the API's 32MB request limit", "request_too_large"),
        (504, "timeout_error", "Request timed out", "timeout"),
        (402, "billing_error", "Your credit balance is too low", "billing"),
    ],
)
def test_non_400_families_from_body(status: int, error_type: str, message: str, category: str) -> None:
    result = classify_error(api_body(message, error_type=error_type), status)
    assert (result.category, result.error_type, result.status) == (category, error_type, status)
    assert result.family == f"{status // 100}xx"
    # the error type alone (no status) gives the same category
    assert classify_error(api_body(message, error_type=error_type)).category == category


@pytest.mark.parametrize(
    ("status", "category"),
    [
        (400, "invalid_request_other"),
        (401, "authentication"),
        (403, "permission"),
        (404, "not_found"),
        (408, "timeout"),
        (413, "request_too_large"),
        (429, "rate_limit"),
        (500, "server_error"),
        (502, "server_error"),
        (503, "server_error"),
        (504, "timeout"),
        (529, "overloaded"),
    ],
)
def test_status_only(status: int, category: str) -> None:
    for body in (None, b"", "", "<html><body>Bad Gateway</body></html>"):
        result = classify_error(body, status)
        assert (result.family, result.status, result.category) == (f"{status // 100}xx", status, category)


def test_low_credit_400_is_billing() -> None:
    text = "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing."
    result = classify_error(api_body(text), 400)
    assert (result.category, result.family, result.error_type) == ("billing", "4xx", "invalid_request_error")


def test_no_status_no_body_is_unclassified() -> None:
    assert classify_error(None) == Classification("none", None, None, "unclassified", None, None)


def test_mid_stream_error_event() -> None:
    sse = (
        'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n'
    )
    result = classify_error(sse)
    assert (result.family, result.category, result.error_type) == ("2xx", "overloaded", "overloaded_error")
    # the data payload alone, with the 200 status of the stream
    payload = '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}'
    result = classify_error(payload, 200)
    assert (result.family, result.status, result.category) == ("2xx", 200, "overloaded")
    # an api_error mid-stream
    result = classify_error(
        sse.replace("overloaded_error", "api_error").replace("Overloaded", "Internal"), 200
    )
    assert (result.family, result.category) == ("2xx", "server_error")


def test_transport_failures_without_status() -> None:
    assert classify_error("Connection error.").category == "connection"
    assert classify_error("httpx.ConnectError: [Errno 111] Connection refused").category == "connection"
    assert classify_error("Request timed out.").category == "timeout"
    # once the server answered, the status decides
    assert classify_error("Request timed out.", 400).category == "invalid_request_other"


def test_non_400_status_wins_over_a_400_looking_message() -> None:
    text = api_body("prompt is too long: 200251 tokens > 200000 maximum", error_type="api_error")
    assert classify_error(text, 500).category == "server_error"


def test_python_sdk_overloaded_string() -> None:
    text = (
        "Error code: 529 - {'type': 'error', 'error': {'type': 'overloaded_error', 'message': 'Overloaded'}}"
    )
    result = classify_error(text)
    assert (result.status, result.category) == (529, "overloaded")


@pytest.mark.parametrize(
    "status",
    ["400", 400.0, True, "x", -1, 10**30, object()],
    ids=["str", "float", "bool", "x", "neg", "big", "obj"],
)
def test_odd_status_values_never_raise(status: object) -> None:
    result = classify_error("whatever", status)  # type: ignore[arg-type]
    assert result.category in CATEGORIES


def test_categories_are_documented_and_use_rule_ids() -> None:
    assert set(CATEGORIES) == set(CATEGORY_INFO)
    assert all(line and "\n" not in line for line in CATEGORY_INFO.values())
    for required in (
        "prompt_too_long",
        "context_overflow_with_max_tokens",
        "thinking_signature_invalid",
        "extra_inputs",
        "field_required",
        "union_tag_invalid",
        "encrypted_content_modified",
        "pdf_invalid",
        "invalid_request_other",
        "rate_limit",
        "overloaded",
        "server_error",
        "authentication",
        "permission",
        "not_found",
        "billing",
        "request_too_large",
        "timeout",
        "connection",
        "unclassified",
    ):
        assert required in CATEGORIES
    # the cheat-sheet's short names are not categories: the rule ids are
    for short in ("tools_required", "id_pattern", "input_schema", "input_not_object", "thinking_missing"):
        assert short not in CATEGORIES
    # every rule of the catalogue that carries an API error text is a category
    for rule_id in (
        "tool_result_missing",
        "tool_result_orphan",
        "tools_required_for_tool_blocks",
        "tool_use_id_pattern",
        "tool_input_schema_invalid",
        "container_required",
        "tool_reference_unknown",
        "all_tools_deferred",
        "cache_control_limit",
        "image_too_large",
    ):
        assert rule_id in RULES and rule_id in CATEGORIES


# rules of the catalogue that are not categories: the API has no text of their own for them
NO_OWN_TEXT = {
    "tool_result_not_first": "same text as tool_result_missing (reference A2)",
    "tool_use_not_trailing": "same text as tool_result_missing (reference A3)",
    "tool_results_split": "accepted by the API (consecutive user turns merge), a warning only",
    "mixed_client_server_batch": "surfaces as server_tool_use_without_result",
    "tool_use_name_not_in_tools": "not enforced by the first-party API",
    "tool_name_duplicate": "no error text known",
    "messages_empty": "no error text known",
    "thinking_block_in_user": "wording only in an emulator",
    "server_tool_missing_from_tools": "no error text known",
    "container_mismatch": "no error text known (cross-turn)",
    "thread_results_mismatch": "no error text known (cross-turn)",
}


def test_every_rule_is_a_category_or_has_no_text_of_its_own() -> None:
    for rule_id in RULES:
        assert (rule_id in CATEGORIES) != (rule_id in NO_OWN_TEXT), rule_id


def test_every_category_has_a_real_text_test() -> None:
    covered = {c for c, _ in REAL_400_TEXTS + CLAUDE_CODE_TEXTS}
    covered |= {
        "invalid_request_other", "rate_limit", "overloaded", "server_error", "authentication", "permission",
        "not_found", "billing", "request_too_large", "timeout", "connection", "unclassified",
    }  # fmt: skip
    assert set(CATEGORIES) - covered == set()


def test_huge_body_is_bounded() -> None:
    text = api_body("x" * 5_000_000 + " `tool_use` ids must be unique")
    result = classify_error(text.encode(), 400)
    assert result.category in ("invalid_request_other", "tool_use_id_duplicate")
    assert result.message is not None and len(result.message) <= 2000


def test_bytes_and_str_agree() -> None:
    text = openrouter("messages.1.content.1: `tool_use` ids must be unique")
    assert classify_error(text) == classify_error(text.encode()) == classify_error(bytearray(text.encode()))
    assert orjson.loads(text)["error"]["code"] == 400
