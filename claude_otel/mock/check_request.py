"""Checks of the request itself and of each block: required fields, tools, tool_choice, the thinking
configuration, ids and inputs, empty content and text, images, cache_control."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from . import rules as R
from .errors import ApiError, ShapeError
from .facts import count_cache_control, is_custom_tool, nested_blocks, thinking_mode
from .transcript import CLIENT_TOOL_USE, Block, content_blocks

_TOOL_NAME = re.compile(R.TOOL_NAME_PATTERN)


_TOOL_USE_ID = re.compile(R.TOOL_USE_ID_PATTERN)


def require_fields(body: Mapping[str, Any], fields: Sequence[str]) -> None:
    for name in fields:
        if name not in body:
            raise ApiError(400, f"{name}: Field required", "field_required")
    if not isinstance(body["messages"], list) or not all(isinstance(m, Mapping) for m in body["messages"]):
        raise ApiError(400, "messages: Input should be a valid list", "invalid_request_other")
    max_tokens = body.get("max_tokens", 0)
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool):
        raise ApiError(400, "max_tokens: Input should be a valid integer", "invalid_request_other")


def check_tools(body: Mapping[str, Any]) -> None:
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


def check_tool_choice(body: Mapping[str, Any]) -> None:
    if "tool_choice" not in body or body["tool_choice"] is None:
        return
    choice = body["tool_choice"]
    if not isinstance(choice, Mapping):
        raise ShapeError("tool_choice_shape", R.TOOL_CHOICE_NOT_OBJECT)
    if choice.get("type") not in ("auto", "any", "tool", "none"):
        raise ShapeError("tool_choice_shape", R.tool_choice_bad_tag(choice.get("type")))
    if choice["type"] == "tool" and not isinstance(choice.get("name"), str):
        raise ShapeError("tool_choice_shape", R.TOOL_CHOICE_NAME_REQUIRED)


def check_thinking_config(body: Mapping[str, Any], betas: Sequence[str]) -> None:
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


def check_messages_content(body: Mapping[str, Any], messages: list[Mapping[str, Any]]) -> None:
    system = body.get("system")
    if isinstance(system, list):
        for block in system:
            if isinstance(block, Mapping):
                _check_text(block)
    last = len(messages) - 1
    for i, message in enumerate(messages):
        content = message.get("content")
        final_assistant = i == last and message.get("role") == "assistant"
        # an empty system message is accepted: Claude Code --bare sends {"role": "system", "content": []}
        exempt = final_assistant or (message.get("role") == "system" and content is not None)
        if (content == "" or content == [] or content is None) and not exempt:
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
                for path, inner in nested_blocks(block):
                    _check_text(inner)
                    _check_image(path, inner)


def check_cache_control(body: Mapping[str, Any]) -> None:
    found = count_cache_control(body)
    if found > R.CACHE_CONTROL_MAX:
        raise ShapeError("cache_control_limit", R.cache_control_limit(found))
