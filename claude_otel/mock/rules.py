"""The rules the mock enforces (ids of the shape-rules reference, §1) and their exact error texts.

Every text is the real API's wording (the form with backticks). Functions here only format text;
the checks live in :mod:`claude_otel.mock.validate`.
"""

from __future__ import annotations

from collections.abc import Iterable

ENFORCED_RULES: tuple[str, ...] = (
    # A. client tool_use / tool_result pairing
    "tool_result_missing",  # A1 (A2 "text before the results" gets the same text)
    "tool_result_orphan",  # A4
    "tool_result_in_assistant",  # A5
    "tool_use_in_user",  # A6
    "tool_use_id_duplicate",  # A7
    "tool_result_duplicate",  # A8
    "tool_result_empty_error",  # A11
    "tool_use_input_not_object",  # A12
    # B. tool definitions / tool_choice
    "tools_required_for_tool_blocks",  # B1
    "tool_name_pattern",  # B3
    "tool_use_id_pattern",  # B4
    "tool_choice_shape",  # B7
    # C. roles and content
    "message_content_empty",  # C5
    "text_block_empty",  # C6
    "prefill_trailing_whitespace",  # C7
    "prefill_unsupported",  # C8
    # D. extended thinking
    "thinking_missing_in_tool_loop",  # D1
    "thinking_not_first",  # D2
    "thinking_modified",  # D3
    "thinking_signature_invalid",  # D4
    "thinking_in_final_when_disabled",  # D6
    "thinking_final_block",  # D7
    "thinking_budget",  # D8
    "thinking_forced_tool_choice",  # D9
    # E. server tools
    "server_tool_result_orphan",  # E3
    "server_tool_use_without_result",  # E4 (pause_turn exception)
    # F, G, H
    "container_required",  # F1
    "tool_reference_unknown",  # G1
    "all_tools_deferred",  # G2
    "cache_control_limit",  # H
    "image_too_large",  # H
)

TOOL_NAME_PATTERN = r"^[a-zA-Z0-9_-]{1,128}$"
TOOL_USE_ID_PATTERN = r"^[a-zA-Z0-9_-]+$"
IMAGE_MAX_BYTES = 5 * 1024 * 1024
CACHE_CONTROL_MAX = 4
THINKING_DOC = "https://docs.claude.com/en/docs/build-with-claude/extended-thinking"


def _ids(ids: Iterable[str]) -> str:
    return ", ".join(ids)


def tool_result_missing(path: str, ids: Iterable[str]) -> str:
    return (
        f"{path}: `tool_use` ids were found without `tool_result` blocks immediately after: {_ids(ids)}. "
        "Each `tool_use` block must have a corresponding `tool_result` block in the next message."
    )


def tool_result_orphan(path: str, tool_use_id: str) -> str:
    return (
        f"{path}: unexpected `tool_use_id` found in `tool_result` blocks: {tool_use_id}. "
        "Each `tool_result` block must have a corresponding `tool_use` block in the previous message."
    )


def tool_result_in_assistant(path: str) -> str:
    return f"{path}: `tool_result` blocks can only be in `user` messages"


def tool_use_in_user(path: str) -> str:
    return f"{path}: `tool_use` blocks can only be in `assistant` messages"


def tool_use_id_duplicate(path: str) -> str:
    return f"{path}: `tool_use` ids must be unique"


def tool_result_duplicate(path: str, tool_use_id: str) -> str:
    return (
        f"{path}: each tool_use must have a single result. "
        f"Found multiple `tool_result` blocks with id: {tool_use_id}"
    )


def tool_result_empty_error(path: str) -> str:
    return f"{path}.tool_result: content cannot be empty if `is_error` is true"


def input_not_object(path: str) -> str:
    return f"{path}.tool_use.input: Input should be a valid dictionary"


TOOLS_REQUIRED = "Requests which include `tool_use` or `tool_result` blocks must define tools."


def tool_name_pattern(index: int, kind: str = "custom") -> str:
    return f"tools.{index}.{kind}.name: String should match pattern '{TOOL_NAME_PATTERN}'"


def tool_use_id_pattern(path: str) -> str:
    return f"{path}.tool_use.id: String should match pattern '{TOOL_USE_ID_PATTERN}'"


TOOL_CHOICE_NOT_OBJECT = "tool_choice: Input should be an object"
TOOL_CHOICE_NAME_REQUIRED = "tool_choice.tool.name: Field required"


def tool_choice_bad_tag(tag: object) -> str:
    return (
        f"tool_choice: Input tag '{tag}' found using 'type' does not match any of the expected tags: "
        "'auto', 'any', 'tool', 'none'"
    )


def message_content_empty(path: str) -> str:
    return f"{path}: all messages must have non-empty content except for the optional final assistant message"


TEXT_BLOCK_EMPTY = "messages: text content blocks must be non-empty"
TEXT_BLOCK_WHITESPACE = "messages: text content blocks must contain non-whitespace text"
PREFILL_TRAILING_WHITESPACE = "messages: final assistant content cannot end with trailing whitespace"
PREFILL_UNSUPPORTED = (
    "This model does not support assistant message prefill. The conversation must end with a user message."
)


def thinking_missing(path: str, found: str) -> str:
    return (
        f"{path}.type: Expected `thinking` or `redacted_thinking`, but found `{found}`. When `thinking` is "
        "enabled, a final `assistant` message must start with a thinking block (preceeding the lastmost "
        "set of `tool_use` and `tool_result` blocks). We recommend you include thinking blocks from "
        f"previous turns. To avoid this requirement, disable `thinking`. Please consult our documentation "
        f"at {THINKING_DOC}"
    )


def thinking_not_first(path: str, found: str) -> str:
    return (
        f"{path}: If an assistant message contains any thinking blocks, the first block must be "
        f"`thinking` or `redacted_thinking`. Found `{found}`."
    )


def thinking_modified(path: str) -> str:
    return (
        f"{path}: `thinking` or `redacted_thinking` blocks in the latest assistant message cannot be "
        "modified. These blocks must remain as they were in the original response."
    )


def thinking_signature_invalid(path: str) -> str:
    return f"{path}: Invalid `signature` in `thinking` block"


def thinking_in_final_when_disabled(path: str) -> str:
    return (
        f"{path}: When thinking is disabled, an `assistant` message in the final position cannot contain "
        "`thinking`. To use thinking blocks, enable `thinking` in your request."
    )


def thinking_final_block(path: str) -> str:
    return f"{path}: The final block in an assistant message cannot be `thinking`."


THINKING_BUDGET_MIN = "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"
THINKING_BUDGET_MAX_TOKENS = (
    "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at "
    f"{THINKING_DOC}#max-tokens-and-context-window-size"
)
THINKING_FORCED_TOOL_CHOICE = "Thinking may not be enabled when tool_choice forces tool use."


def server_tool_result_orphan(path: str, block_type: str, tool_use_id: str) -> str:
    return (
        f"{path}: unexpected `tool_use_id` found in `{block_type}` blocks: {tool_use_id}. "
        f"Each `{block_type}` block must have a corresponding `server_tool_use` block before it."
    )


def server_tool_use_without_result(path: str, name: str, tool_use_id: str, result_type: str) -> str:
    return (
        f"{path}: `{name}` tool use with id `{tool_use_id}` was found without a corresponding "
        f"`{result_type}` block"
    )


CONTAINER_REQUIRED = (
    "container_id is required when there are pending tool uses generated by code execution with tools."
)


def tool_reference_unknown(name: str) -> str:
    return f"Tool reference '{name}' not found in available tools"


ALL_TOOLS_DEFERRED = "At least one tool must have defer_loading=false. All tools cannot be deferred"


def cache_control_limit(found: int) -> str:
    return f"A maximum of {CACHE_CONTROL_MAX} blocks with cache_control may be provided. Found {found}."


def image_too_large(path: str, size: int) -> str:
    return f"{path}.image.source.base64: image exceeds 5 MB maximum: {size} bytes > {IMAGE_MAX_BYTES} bytes"
