"""The rule catalogue: every finding id the core (and the instrumentation's cross-turn state) can emit.

Ids and groups follow ../shared/reference/anthropic-shape-rules.md (groups A-H). `severity` is the
default; `provider_severity` overrides it per provider where the reference says a rule is enforced
only on one provider (an error there, a warning elsewhere). `cross_turn` rules are emitted by the
instrumentation, which remembers what the API returned; `analyze` alone cannot see them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class RuleInfo:
    id: str
    severity: str  # "error" | "warning"
    group: str  # "A".."I"
    summary: str  # what the rule checks, one line
    fix: str  # what to change, one line
    provider_severity: Mapping[str, str] = field(default_factory=dict)
    cross_turn: bool = False

    def severity_for(self, provider: str) -> str:
        return self.provider_severity.get(provider, self.severity)


_E, _W = "error", "warning"
_BEDROCK_ONLY = {"bedrock": _E}

_RULES: tuple[RuleInfo, ...] = (
    # A. client tool_use / tool_result pairing
    RuleInfo(
        "tool_result_missing",
        _E,
        "A",
        "tool_use ids of an assistant turn have no tool_result at the start of the next user turn",
        "answer every tool_use id with a tool_result block at the start of the very next user message",
    ),
    RuleInfo(
        "tool_result_not_first",
        _E,
        "A",
        "a text/image/document block comes before the tool_result blocks of a results message",
        "put all tool_result blocks first in the user message; move other blocks after them",
    ),
    RuleInfo(
        "tool_use_not_trailing",
        _W,
        "A",
        "an assistant turn has text after a tool_use block",
        "keep tool_use blocks as the last (non-thinking) blocks of the assistant message",
        _BEDROCK_ONLY,
    ),
    RuleInfo(
        "tool_result_orphan",
        _E,
        "A",
        "a tool_result names a tool_use_id absent from the immediately preceding assistant turn",
        "drop the orphan tool_result or restore the assistant turn holding its tool_use",
    ),
    RuleInfo(
        "tool_result_in_assistant",
        _E,
        "A",
        "a tool_result block sits in an assistant message",
        "move tool_result blocks into the following user message",
    ),
    RuleInfo(
        "tool_use_in_user",
        _E,
        "A",
        "a tool_use block sits in a user message",
        "tool_use blocks belong in assistant messages only",
    ),
    RuleInfo(
        "tool_use_id_duplicate",
        _E,
        "A",
        "the same tool_use id appears twice in the request",
        "de-duplicate the repeated assistant turn or tool_use block",
    ),
    RuleInfo(
        "tool_result_duplicate",
        _E,
        "A",
        "two tool_result blocks answer the same tool_use id (after merging consecutive user turns)",
        "send exactly one tool_result per tool_use id",
    ),
    RuleInfo(
        "tool_results_split",
        _W,
        "A",
        "results for one assistant turn are spread over several consecutive user messages",
        "send all tool_result blocks of a turn in one user message",
    ),
    RuleInfo(
        "tool_result_field_missing",
        _E,
        "A",
        "a tool_result lacks tool_use_id, or a tool_use lacks id/name/input",
        "fill in the required fields",
    ),
    RuleInfo(
        "tool_result_empty_error",
        _E,
        "A",
        "a tool_result with is_error true has empty content",
        "give error results a non-empty content",
    ),
    RuleInfo(
        "tool_use_input_not_object",
        _E,
        "A",
        "tool_use.input is not a JSON object",
        "send tool_use.input as an object (parse JSON strings, use {} for no input)",
    ),
    RuleInfo(
        "block_extra_fields",
        _E,
        "A",
        "a content block carries a streaming leftover field (index, partial_json, text on tool_use)",
        "strip streaming-only fields before replaying blocks",
    ),
    RuleInfo(
        "mixed_client_server_batch",
        _W,
        "A",
        "a user turn answering client tool_use next to a pending server_tool_use holds non-result blocks",
        "answer such a turn with tool_result blocks only",
    ),
    # B. tool definitions and tool_choice
    RuleInfo(
        "tools_required_for_tool_blocks",
        _E,
        "B",
        "messages hold tool_use/tool_result blocks but the request defines no tools",
        "keep the tools (use tool_choice none to forbid calls) when replaying a tool conversation",
    ),
    RuleInfo(
        "tool_use_name_not_in_tools",
        _W,
        "B",
        "a historical tool_use names a tool absent from tools[] (gateways may reject it)",
        "keep a definition for every tool named in the history",
    ),
    RuleInfo(
        "tool_name_pattern",
        _E,
        "B",
        "a custom tool name does not match ^[a-zA-Z0-9_-]{1,128}$",
        "rename the tool using letters, digits, _ and - only (max 128)",
    ),
    RuleInfo(
        "tool_name_duplicate", _W, "B", "two tools[] entries share a name", "give every tool a unique name"
    ),
    RuleInfo(
        "tool_use_id_pattern",
        _E,
        "B",
        "a tool_use id or tool_result tool_use_id does not match ^[a-zA-Z0-9_-]+$",
        "use ids made of letters, digits, _ and - (never empty)",
    ),
    RuleInfo(
        "tool_input_schema_invalid",
        _E,
        "B",
        "a custom tool lacks input_schema, its type is not object, or it has top-level oneOf/allOf/anyOf",
        "send input_schema as a JSON Schema object with type object",
    ),
    RuleInfo(
        "strict_schema_not_closed",
        _E,
        "B",
        "a strict tool has an object schema without additionalProperties: false",
        "set additionalProperties false on every object schema of strict tools",
    ),
    RuleInfo(
        "tool_choice_shape",
        _E,
        "B",
        "tool_choice is not an object with type auto/any/tool/none, or type tool lacks name",
        'send tool_choice as {"type": "auto"|"any"|"tool"|"none"} (name with tool)',
    ),
    # C. roles, sequence, empty content, prefill
    RuleInfo(
        "role_invalid",
        _E,
        "C",
        "a message role is not user/assistant/system, or a system message is misplaced",
        "use user/assistant roles; put the initial system prompt in the top-level system parameter",
    ),
    RuleInfo(
        "messages_empty", _E, "C", "messages is missing, not a list, or empty", "send at least one message"
    ),
    RuleInfo(
        "first_message_not_user",
        _W,
        "C",
        "the first message is not a user message",
        "start the conversation with a user message",
        _BEDROCK_ONLY,
    ),
    RuleInfo(
        "consecutive_same_role",
        _W,
        "C",
        "consecutive messages share a role (merged by the first-party API; reported on bedrock only)",
        "merge consecutive same-role messages into one",
    ),
    RuleInfo(
        "message_content_empty",
        _E,
        "C",
        "a user or assistant message (other than a final assistant one) has empty content"
        " (an empty system message is accepted)",
        "drop the empty message or give it content",
    ),
    RuleInfo(
        "text_block_empty", _E, "C", "a text block is empty or whitespace only", "drop empty text blocks"
    ),
    RuleInfo(
        "prefill_trailing_whitespace",
        _E,
        "C",
        "the final assistant (prefill) content ends with whitespace",
        "strip trailing whitespace from the prefill",
    ),
    RuleInfo(
        "prefill_unsupported",
        _E,
        "C",
        "the request ends with an assistant message on a model without prefill support",
        "end the conversation with a user message (use output_config or instructions instead)",
    ),
    # D. extended thinking
    RuleInfo(
        "thinking_missing_in_tool_loop",
        _E,
        "D",
        "thinking is enabled mid tool loop but the assistant turn of the last tool_use set has no leading"
        " thinking block",
        "replay the thinking blocks of previous assistant turns unchanged, or disable thinking",
    ),
    RuleInfo(
        "thinking_not_first",
        _E,
        "D",
        "an assistant message holds thinking blocks but does not start with one",
        "keep thinking/redacted_thinking blocks first, in their original order",
    ),
    RuleInfo(
        "thinking_field_missing",
        _E,
        "D",
        "a thinking block lacks thinking/signature, or a redacted_thinking block lacks data",
        "replay thinking blocks exactly as returned (thinking and signature strings)",
    ),
    RuleInfo(
        "thinking_in_final_when_disabled",
        _E,
        "D",
        "thinking is disabled or absent but the final assistant message contains thinking blocks",
        "enable thinking or remove thinking blocks from the final assistant message",
    ),
    RuleInfo(
        "thinking_final_block",
        _E,
        "D",
        "an assistant message ends with a thinking block",
        "do not send an assistant message whose last block is thinking",
    ),
    RuleInfo(
        "thinking_budget",
        _E,
        "D",
        "budget_tokens is below 1024, or not below max_tokens without interleaved thinking and tools",
        "set 1024 <= budget_tokens < max_tokens",
    ),
    RuleInfo(
        "thinking_forced_tool_choice",
        _E,
        "D",
        "thinking is enabled with tool_choice any/tool",
        "use tool_choice auto/none with thinking, or disable thinking",
    ),
    RuleInfo(
        "thinking_sampling_params",
        _E,
        "D",
        "thinking is enabled with temperature other than 1",
        "drop temperature (or set it to 1) when thinking is enabled",
    ),
    RuleInfo(
        "thinking_type_unsupported",
        _E,
        "D",
        "the thinking type is not accepted by the model",
        "use the thinking type the model accepts (see the model capability table)",
    ),
    RuleInfo(
        "thinking_block_in_user",
        _W,
        "D",
        "a thinking block sits in a user message",
        "thinking blocks belong in assistant messages only",
    ),
    RuleInfo(
        "thinking_modified",
        _E,
        "D",
        "thinking blocks of the latest assistant turn differ from what the API returned",
        "replay thinking/redacted_thinking blocks byte-for-byte as returned",
        cross_turn=True,
    ),
    # E. server tools
    RuleInfo(
        "server_tool_id_pattern",
        _E,
        "E",
        "a server_tool_use id or server result tool_use_id does not match ^srvtoolu_[a-zA-Z0-9_]+$",
        "replay server tool blocks with their original srvtoolu_ ids (drop foreign ones)",
    ),
    RuleInfo(
        "server_tool_name_invalid",
        _W,
        "E",
        "a server_tool_use names a tool outside the known server tools",
        "drop server tool blocks from other providers",
    ),
    RuleInfo(
        "server_tool_result_orphan",
        _E,
        "E",
        "a server tool result block has no server_tool_use before it in the assistant turn",
        "replay the server_tool_use together with its result, in order",
    ),
    RuleInfo(
        "server_tool_use_without_result",
        _E,
        "E",
        "a server_tool_use before the end of the conversation has no result block",
        "replay the server tool result block that followed the server_tool_use",
    ),
    RuleInfo(
        "server_tool_missing_from_tools",
        _W,
        "E",
        "history holds server tool blocks whose tool is no longer in tools[]",
        "keep the server tool definition while its blocks are in the history",
    ),
    # F. containers
    RuleInfo(
        "container_required",
        _E,
        "F",
        "pending tool uses generated by code execution but no container sent",
        "send container with the id the previous response returned",
    ),
    RuleInfo(
        "container_mismatch",
        _E,
        "F",
        "the continuation names a different container than the previous response returned",
        "send the container id of the previous response",
        cross_turn=True,
    ),
    RuleInfo(
        "thread_results_mismatch",
        _E,
        "F",
        "results of a thread continuation do not match the tool calls of previous_message_id",
        "answer exactly the tool_use ids of the previous response",
        cross_turn=True,
    ),
    # G. deferred tools / tool search
    RuleInfo(
        "tool_reference_unknown",
        _E,
        "G",
        "a tool_reference names a tool absent from tools[]",
        "keep every referenced tool in tools[] (defer_loading true is fine)",
    ),
    RuleInfo(
        "all_tools_deferred",
        _E,
        "G",
        "every tool has defer_loading true",
        "keep at least one tool (normally the tool search tool) non-deferred",
    ),
    # H. cache_control, media, limits
    RuleInfo(
        "cache_control_limit",
        _E,
        "H",
        "more than 4 cache_control breakpoints across tools, system and messages",
        "use at most 4 cache_control breakpoints",
    ),
    RuleInfo(
        "cache_control_on_thinking",
        _E,
        "H",
        "a thinking block carries cache_control",
        "remove cache_control from thinking blocks",
    ),
    RuleInfo(
        "image_too_large",
        _E,
        "H",
        "a base64 image string is longer than 5 MB (5,242,880 bytes, measured on the base64 text)",
        "downscale or recompress the image below 5 MB",
    ),
    RuleInfo(
        "max_tokens_exceeds_model",
        _E,
        "H",
        "max_tokens is above the model's output cap",
        "lower max_tokens to the model's cap (see the model capability table)",
    ),
    RuleInfo(
        "field_required",
        _E,
        "H",
        "a required top-level field (model, max_tokens) is missing or of the wrong type",
        "send model as a string and max_tokens as a non-negative integer",
    ),
    RuleInfo(
        "request_too_large",
        _E,
        "H",
        "the body is above the API's 32 MB request limit: HTTP 413, not 400 (error above 32 MiB, "
        "a warning from 32,000,000 bytes: which MB is meant is not documented)",
        "send less: drop or shrink old images and documents, or upload files once with the Files API",
    ),
)

# what the group letters of the rules stand for (ids follow ../shared/reference/anthropic-shape-rules.md)
GROUPS: Mapping[str, str] = MappingProxyType(
    {
        "A": "client tool_use / tool_result pairing",
        "B": "tool definitions and tool_choice",
        "C": "roles, message sequence, empty content, prefill",
        "D": "extended thinking",
        "E": "server tools",
        "F": "containers",
        "G": "deferred tools / tool search",
        "H": "cache_control, media, limits, required fields",
    }
)

RULES: Mapping[str, RuleInfo] = MappingProxyType({r.id: r for r in _RULES})


def rule_info(rule_id: str) -> RuleInfo:
    """The catalogue entry of `rule_id`; KeyError with the known ids listed when unknown."""
    try:
        return RULES[rule_id]
    except KeyError:
        raise KeyError(f"unknown rule id {rule_id!r}; known: {', '.join(RULES)}") from None
