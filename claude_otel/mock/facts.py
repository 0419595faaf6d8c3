"""Facts about a request both the checks and the scripted assistant need: model capabilities, thinking
mode, tool kinds, server result types, containers, tool references, cache_control count."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .transcript import CLIENT_TOOL_USE, Block, Transcript, content_blocks

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


def is_server_result(block: Block) -> bool:
    return block.type.endswith("_tool_result") and block.type != "tool_result"


def nested_blocks(block: Block) -> list[tuple[str, Mapping[str, Any]]]:
    """(path, block) for blocks nested in a tool_result's content."""
    if block.type != "tool_result":
        return []
    inner = content_blocks(block.data.get("content"))
    return [(f"{block.path}.tool_result.content.{k}", b) for k, b in enumerate(inner)]


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
    resolved = {str(b.data.get("tool_use_id")) for b in turn.blocks if is_server_result(b)}
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
            for _, inner in nested_blocks(block):
                if inner.get("type") == "tool_reference":
                    names.append(str(inner.get("tool_name")))
    return names


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
            count += sum(bool(inner.get("cache_control")) for _, inner in nested_blocks(block))
    return count
