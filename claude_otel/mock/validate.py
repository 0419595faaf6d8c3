"""Request-shape checks, written from the shape-rules reference (never from claude_otel.core).

``validate(body, ...)`` raises :class:`ShapeError` with the real API's text for the first violation,
in roughly the order the API checks: body fields, tools and tool_choice, thinking config, blocks,
placement, pairing, thinking history, the final message, containers, tool references, cache_control.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from . import rules as R
from .errors import ApiError, ShapeError
from .ledger import ThinkingLedger
from .transcript import (
    CLIENT_TOOL_USE,
    SERVER_TOOL_USES,
    THINKING_TYPES,
    Block,
    Transcript,
    Turn,
    build,
    content_blocks,
)

_TOOL_NAME = re.compile(R.TOOL_NAME_PATTERN)
_TOOL_USE_ID = re.compile(R.TOOL_USE_ID_PATTERN)
_MODEL_VERSION = re.compile(r"claude-(opus|sonnet|haiku|fable|mythos)-(\d+)(?:[-.](\d{1,2}))?(?!\d)")
_SERVER_RESULT_FOR = {
    "tool_search_tool_regex": "tool_search_tool_result",
    "tool_search_tool_bm25": "tool_search_tool_result",
    "mcp_tool_use": "mcp_tool_result",
}
CODE_EXECUTION_NAMES = ("code_execution", "bash_code_execution", "text_editor_code_execution")


def supports_prefill(model: object) -> bool:
    """Assistant prefill is refused by Opus/Sonnet 4.6 and later and by Fable/Mythos models."""
    match = _MODEL_VERSION.search(model) if isinstance(model, str) else None
    if match is None:
        return True
    family, major, minor = match.group(1), int(match.group(2)), int(match.group(3) or 0)
    if family in ("fable", "mythos"):
        return False
    if family in ("opus", "sonnet"):
        return (major, minor) < (4, 6)
    return True


def thinking_mode(body: Mapping[str, Any]) -> str | None:
    """ "enabled" | "adaptive" | None (absent or disabled)."""
    thinking = body.get("thinking")
    if isinstance(thinking, Mapping) and thinking.get("type") in ("enabled", "adaptive"):
        return str(thinking["type"])
    return None


def is_custom_tool(tool: Mapping[str, Any]) -> bool:
    return tool.get("type") in (None, "custom")


def result_type_for(name: str) -> str:
    return _SERVER_RESULT_FOR.get(name, f"{name}_tool_result")


def _is_server_result(block: Block) -> bool:
    return block.type.endswith("_tool_result") and block.type != "tool_result"


def _require(body: Mapping[str, Any], fields: Sequence[str]) -> None:
    for name in fields:
        if name not in body:
            raise ApiError(400, f"{name}: Field required", "field_required")
    if not isinstance(body["messages"], list) or not all(isinstance(m, Mapping) for m in body["messages"]):
        raise ApiError(400, "messages: Input should be a valid list", "invalid_request_other")
    max_tokens = body.get("max_tokens", 0)
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool):
        raise ApiError(400, "max_tokens: Input should be a valid integer", "invalid_request_other")


def _check_tools(body: Mapping[str, Any]) -> None:
    tools = body.get("tools")
    if tools is None:
        return
    if not isinstance(tools, list):
        raise ApiError(400, "tools: Input should be a valid list", "invalid_request_other")
    for i, tool in enumerate(tools):
        if not isinstance(tool, Mapping):
            raise ApiError(400, f"tools.{i}: Input should be a valid dictionary", "invalid_request_other")
        if is_custom_tool(tool):
            name = tool.get("name")
            if not isinstance(name, str) or not _TOOL_NAME.match(name):
                raise ShapeError("tool_name_pattern", R.tool_name_pattern(i))
    if tools and all(isinstance(t, Mapping) and t.get("defer_loading") is True for t in tools):
        raise ShapeError("all_tools_deferred", R.ALL_TOOLS_DEFERRED)


def _check_tool_choice(body: Mapping[str, Any]) -> None:
    if "tool_choice" not in body or body["tool_choice"] is None:
        return
    choice = body["tool_choice"]
    if not isinstance(choice, Mapping):
        raise ShapeError("tool_choice_shape", R.TOOL_CHOICE_NOT_OBJECT)
    if choice.get("type") not in ("auto", "any", "tool", "none"):
        raise ShapeError("tool_choice_shape", R.tool_choice_bad_tag(choice.get("type")))
    if choice["type"] == "tool" and not isinstance(choice.get("name"), str):
        raise ShapeError("tool_choice_shape", R.TOOL_CHOICE_NAME_REQUIRED)


def _check_thinking_config(body: Mapping[str, Any], betas: Sequence[str]) -> None:
    mode = thinking_mode(body)
    if mode == "enabled":
        budget = body["thinking"].get("budget_tokens")
        if isinstance(budget, int) and budget < 1024:
            raise ShapeError("thinking_budget", R.THINKING_BUDGET_MIN)
        interleaved = any(b.startswith("interleaved-thinking") for b in betas) and bool(body.get("tools"))
        max_tokens = body.get("max_tokens")
        if (
            isinstance(budget, int)
            and isinstance(max_tokens, int)
            and budget >= max_tokens
            and not interleaved
        ):
            raise ShapeError("thinking_budget", R.THINKING_BUDGET_MAX_TOKENS)
    choice = body.get("tool_choice")
    if mode and isinstance(choice, Mapping) and choice.get("type") in ("any", "tool"):
        raise ShapeError("thinking_forced_tool_choice", R.THINKING_FORCED_TOOL_CHOICE)


def _nested(block: Block) -> list[tuple[str, Mapping[str, Any]]]:
    """(path, block) for blocks nested in a tool_result's content."""
    if block.type != "tool_result":
        return []
    inner = content_blocks(block.data.get("content"))
    return [(f"{block.path}.tool_result.content.{k}", b) for k, b in enumerate(inner)]


def _check_image(path: str, block: Mapping[str, Any]) -> None:
    source = block.get("source")
    if block.get("type") == "image" and isinstance(source, Mapping) and source.get("type") == "base64":
        data = source.get("data")
        if isinstance(data, str) and len(data) > R.IMAGE_MAX_BYTES:
            raise ShapeError("image_too_large", R.image_too_large(path, len(data)))


def _check_text(block: Mapping[str, Any]) -> None:
    if block.get("type") != "text":
        return
    text = block.get("text")
    if text == "":
        raise ShapeError("text_block_empty", R.TEXT_BLOCK_EMPTY)
    if isinstance(text, str) and not text.strip():
        raise ShapeError("text_block_empty", R.TEXT_BLOCK_WHITESPACE)


def _check_messages_content(body: Mapping[str, Any], messages: list[Mapping[str, Any]]) -> None:
    system = body.get("system")
    if isinstance(system, list):
        for block in system:
            if isinstance(block, Mapping):
                _check_text(block)
    last = len(messages) - 1
    for i, message in enumerate(messages):
        content = message.get("content")
        final_assistant = i == last and message.get("role") == "assistant"
        if (content == "" or content == [] or content is None) and not final_assistant:
            raise ShapeError("message_content_empty", R.message_content_empty(f"messages.{i}"))
        for j, data in enumerate(content_blocks(content)):
            block = Block(i, j, data)
            _check_text(data)
            _check_image(block.path, data)
            if block.type == CLIENT_TOOL_USE:
                tool_id = data.get("id")
                if not isinstance(tool_id, str) or not _TOOL_USE_ID.match(tool_id):
                    raise ShapeError("tool_use_id_pattern", R.tool_use_id_pattern(block.path))
                if not isinstance(data.get("input"), Mapping):
                    raise ShapeError("tool_use_input_not_object", R.input_not_object(block.path))
            if block.type == "tool_result":
                nested = content_blocks(data.get("content"))
                if data.get("is_error") is True and not nested:
                    raise ShapeError("tool_result_empty_error", R.tool_result_empty_error(block.path))
                for path, inner in _nested(block):
                    _check_text(inner)
                    _check_image(path, inner)


def _check_placement(transcript: Transcript) -> None:
    for turn in transcript.turns:
        for block in turn.blocks:
            if block.type == "tool_result" and turn.role == "assistant":
                where = f"messages.{block.msg}"
                raise ShapeError("tool_result_in_assistant", R.tool_result_in_assistant(where))
            if block.type == CLIENT_TOOL_USE and turn.role == "user":
                raise ShapeError("tool_use_in_user", R.tool_use_in_user(f"messages.{block.msg}"))
        if turn.role != "assistant" or not turn.blocks:
            continue
        types = [b.type for b in turn.blocks]
        if any(t in THINKING_TYPES for t in types) and types[0] not in THINKING_TYPES:
            raise ShapeError("thinking_not_first", R.thinking_not_first(turn.blocks[0].path, types[0]))
        if types[-1] in THINKING_TYPES:
            where = f"messages.{turn.blocks[-1].msg}"
            raise ShapeError("thinking_final_block", R.thinking_final_block(where))


def _check_tools_defined(body: Mapping[str, Any], transcript: Transcript) -> None:
    uses = any(b.type in (CLIENT_TOOL_USE, "tool_result") for t in transcript.turns for b in t.blocks)
    if uses and not body.get("tools"):
        raise ShapeError("tools_required_for_tool_blocks", R.TOOLS_REQUIRED)


def _check_pairing(transcript: Transcript) -> None:
    seen: set[str] = set()
    turns = transcript.turns
    for k, turn in enumerate(turns):
        for block in turn.of_type(CLIENT_TOOL_USE):
            tool_id = str(block.data.get("id"))
            if tool_id in seen:
                raise ShapeError("tool_use_id_duplicate", R.tool_use_id_duplicate(block.path))
            seen.add(tool_id)
        if turn.role == "user":
            previous = turns[k - 1] if k > 0 and turns[k - 1].role == "assistant" else None
            expected = set(previous.tool_use_ids()) if previous is not None else set()
            answered: set[str] = set()
            for block in turn.of_type("tool_result"):
                tool_use_id = str(block.data.get("tool_use_id"))
                if tool_use_id in answered:
                    message = R.tool_result_duplicate(block.path, tool_use_id)
                    raise ShapeError("tool_result_duplicate", message)
                answered.add(tool_use_id)
                if tool_use_id not in expected:
                    raise ShapeError("tool_result_orphan", R.tool_result_orphan(block.path, tool_use_id))
        if turn.role != "assistant":
            continue
        ids = turn.tool_use_ids()
        if not ids:
            continue
        following = turns[k + 1] if k + 1 < len(turns) else None
        leading: set[str] = set()
        if following is not None:
            for block in following.blocks:
                if block.type != "tool_result":
                    break
                leading.add(str(block.data.get("tool_use_id")))
        missing = [i for i in ids if i not in leading]
        if missing:
            where = following.first if following is not None else turn.last + 1
            raise ShapeError("tool_result_missing", R.tool_result_missing(f"messages.{where}", missing))


def _check_server_tools(transcript: Transcript) -> None:
    latest = transcript.latest_assistant()
    carried: set[str] = set()  # code execution waiting for client tools: resolved in a later turn
    for k, turn in enumerate(transcript.turns):
        if turn.role != "assistant":
            continue
        pending: dict[str, Block] = {}
        for block in turn.blocks:
            if block.type in SERVER_TOOL_USES:
                pending[str(block.data.get("id"))] = block
            elif _is_server_result(block):
                tool_use_id = str(block.data.get("tool_use_id"))
                if pending.pop(tool_use_id, None) is None and tool_use_id not in carried:
                    raise ShapeError(
                        "server_tool_result_orphan",
                        R.server_tool_result_orphan(block.path, block.type, tool_use_id),
                    )
                carried.discard(tool_use_id)
        if not pending:
            continue
        if any(turn.of_type(CLIENT_TOOL_USE)):
            carried.update(pending)
            continue
        if latest is not None and latest[0] == k == len(transcript.turns) - 1:
            continue  # pause_turn: the final assistant message ends in server tool use
        tool_id, block = next(iter(pending.items()))
        name = str(block.data.get("name")) if block.type == "server_tool_use" else "mcp_tool_use"
        raise ShapeError(
            "server_tool_use_without_result",
            R.server_tool_use_without_result(block.path, name, tool_id, result_type_for(name)),
        )


def _check_thinking_history(body: Mapping[str, Any], transcript: Transcript, ledger: ThinkingLedger) -> None:
    mode = thinking_mode(body)
    turns = transcript.turns
    last = transcript.last
    if mode == "enabled" and last is not None and last.role == "user" and len(turns) >= 2:
        starts_with_result = bool(last.blocks) and last.blocks[0].type == "tool_result"
        previous = turns[-2]
        if starts_with_result and previous.role == "assistant" and previous.blocks:
            first = previous.blocks[0]
            if first.type not in THINKING_TYPES:
                raise ShapeError("thinking_missing_in_tool_loop", R.thinking_missing(first.path, first.type))
    latest = transcript.latest_assistant()
    if latest is None:
        return
    turn = latest[1]
    _check_latest_thinking(turn, ledger)
    if mode is None and last is turn:
        for block in turn.of_type(*THINKING_TYPES):
            raise ShapeError("thinking_in_final_when_disabled", R.thinking_in_final_when_disabled(block.path))


def _check_latest_thinking(turn: Turn, ledger: ThinkingLedger) -> None:
    by_response: dict[str, list[tuple[Block, int, int]]] = {}
    for block in turn.of_type("thinking"):
        signature = block.data.get("signature")
        if not isinstance(signature, str):
            raise ShapeError("thinking_signature_invalid", f"{block.path}.thinking.signature: Field required")
        if not ledger.issued(signature):
            raise ShapeError("thinking_signature_invalid", R.thinking_signature_invalid(block.path))
        if not ledger.matches(signature, block.data.get("thinking")):
            raise ShapeError("thinking_modified", R.thinking_modified(block.path))
        issued = ledger.lookup(signature)
        if issued is not None:
            by_response.setdefault(issued.response_id, []).append((block, issued.position, issued.total))
    for entries in by_response.values():
        positions = [position for _, position, _ in entries]
        if positions != list(range(entries[0][2])):
            raise ShapeError("thinking_modified", R.thinking_modified(entries[0][0].path))


def _check_final(body: Mapping[str, Any], transcript: Transcript) -> None:
    last = transcript.last
    if last is None or last.role != "assistant" or not last.blocks:
        return
    final = last.blocks[-1]
    pending_server = final.type in SERVER_TOOL_USES
    if not pending_server and not supports_prefill(body.get("model")):
        raise ShapeError("prefill_unsupported", R.PREFILL_UNSUPPORTED)
    text = final.data.get("text")
    if final.type == "text" and isinstance(text, str) and text != text.rstrip():
        raise ShapeError("prefill_trailing_whitespace", R.PREFILL_TRAILING_WHITESPACE)


def needs_container(transcript: Transcript) -> bool:
    """The latest assistant turn holds client tool calls made from code execution, answered now."""
    turns = transcript.turns
    if len(turns) < 2 or turns[-1].role != "user" or turns[-2].role != "assistant":
        return False
    turn = turns[-2]
    for block in turn.of_type(CLIENT_TOOL_USE):
        caller = block.data.get("caller")
        if isinstance(caller, Mapping) and str(caller.get("type", "")).startswith("code_execution"):
            return True
    resolved = {str(b.data.get("tool_use_id")) for b in turn.blocks if _is_server_result(b)}
    pending_code = any(
        b.data.get("name") in CODE_EXECUTION_NAMES and str(b.data.get("id")) not in resolved
        for b in turn.of_type("server_tool_use")
    )
    return pending_code and any(turn.of_type(CLIENT_TOOL_USE))


def container_id(body: Mapping[str, Any]) -> str | None:
    container = body.get("container")
    if isinstance(container, str) and container:
        return container
    if isinstance(container, Mapping) and isinstance(container.get("id"), str) and container["id"]:
        return str(container["id"])
    return None


def _check_container(body: Mapping[str, Any], transcript: Transcript) -> None:
    if needs_container(transcript) and container_id(body) is None:
        raise ShapeError("container_required", R.CONTAINER_REQUIRED)


def tool_references(transcript: Transcript) -> list[str]:
    names: list[str] = []
    for turn in transcript.turns:
        for block in turn.blocks:
            if block.type == "tool_search_tool_result":
                content = block.data.get("content")
                refs = content.get("tool_references") if isinstance(content, Mapping) else None
                for ref in refs if isinstance(refs, list) else []:
                    if isinstance(ref, Mapping):
                        names.append(str(ref.get("tool_name")))
            for _, inner in _nested(block):
                if inner.get("type") == "tool_reference":
                    names.append(str(inner.get("tool_name")))
    return names


def _check_tool_references(body: Mapping[str, Any], transcript: Transcript) -> None:
    tools = body.get("tools") or []
    offered = {t.get("name") for t in tools if isinstance(t, Mapping)}
    for name in tool_references(transcript):
        if name not in offered:
            raise ShapeError("tool_reference_unknown", R.tool_reference_unknown(name))


def count_cache_control(body: Mapping[str, Any]) -> int:
    count = 1 if body.get("cache_control") else 0
    for tool in body.get("tools") or []:
        count += bool(isinstance(tool, Mapping) and tool.get("cache_control"))
    system = body.get("system")
    for block in system if isinstance(system, list) else []:
        count += bool(isinstance(block, Mapping) and block.get("cache_control"))
    for i, message in enumerate(body.get("messages") or []):
        for j, data in enumerate(content_blocks(message.get("content"))):
            block = Block(i, j, data)
            count += bool(data.get("cache_control"))
            count += sum(bool(inner.get("cache_control")) for _, inner in _nested(block))
    return count


def _check_cache_control(body: Mapping[str, Any]) -> None:
    found = count_cache_control(body)
    if found > R.CACHE_CONTROL_MAX:
        raise ShapeError("cache_control_limit", R.cache_control_limit(found))


def validate(
    body: Mapping[str, Any], ledger: ThinkingLedger, betas: Sequence[str] = (), *, count_tokens: bool = False
) -> Transcript:
    """Raise ApiError/ShapeError for the first violation; return the merged transcript otherwise.

    ``count_tokens``: the body of /v1/messages/count_tokens (no max_tokens; the same shape rules).
    """
    if not isinstance(body, Mapping):
        raise ApiError(400, "Input should be a valid dictionary", "invalid_request_other")
    _require(body, ("model", "messages") if count_tokens else ("model", "max_tokens", "messages"))
    messages: list[Mapping[str, Any]] = body["messages"]
    if not messages:
        raise ApiError(400, "messages: at least one message is required", "invalid_request_other")
    _check_tools(body)
    _check_tool_choice(body)
    _check_thinking_config(body, betas)
    _check_messages_content(body, messages)
    transcript = build(messages)
    _check_placement(transcript)
    _check_tools_defined(body, transcript)
    _check_pairing(transcript)
    _check_server_tools(transcript)
    _check_thinking_history(body, transcript, ledger)
    _check_final(body, transcript)
    _check_container(body, transcript)
    _check_tool_references(body, transcript)
    _check_cache_control(body)
    return transcript
