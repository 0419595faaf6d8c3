"""A finished message rendered as the real SSE event sequence of the Messages API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

STREAMED_INPUT = ("tool_use", "server_tool_use", "mcp_tool_use")


def event(name: str, data: dict[str, Any]) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


def _pieces(text: str, parts: int = 3) -> list[str]:
    if not text:
        return [""]
    size = max(1, -(-len(text) // parts))
    return [text[i : i + size] for i in range(0, len(text), size)]


def _block_events(index: int, block: dict[str, Any]) -> Iterator[bytes]:
    kind = block.get("type")
    if kind == "text":
        yield event(
            "content_block_start",
            {"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}},
        )
        for piece in _pieces(block["text"]):
            delta = {"type": "text_delta", "text": piece}
            yield event(
                "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
            )
    elif kind == "thinking":
        start = {"type": "thinking", "thinking": "", "signature": ""}
        yield event(
            "content_block_start", {"type": "content_block_start", "index": index, "content_block": start}
        )
        for piece in _pieces(block["thinking"]):
            delta = {"type": "thinking_delta", "thinking": piece}
            yield event(
                "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
            )
        delta = {"type": "signature_delta", "signature": block["signature"]}
        yield event("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta})
    elif kind in STREAMED_INPUT:
        start = {**block, "input": {}}
        yield event(
            "content_block_start", {"type": "content_block_start", "index": index, "content_block": start}
        )
        for piece in ["", *_pieces(orjson.dumps(block.get("input", {})).decode())]:
            delta = {"type": "input_json_delta", "partial_json": piece}
            yield event(
                "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
            )
    else:  # server tool results arrive complete
        yield event(
            "content_block_start", {"type": "content_block_start", "index": index, "content_block": block}
        )
    yield event("content_block_stop", {"type": "content_block_stop", "index": index})


def stream_events(
    message: dict[str, Any], error_after_first_block: dict[str, Any] | None = None
) -> Iterator[bytes]:
    """message_start, ping, blocks, message_delta (stop_reason, usage, container), message_stop.

    With ``error_after_first_block``, the stream stops after the first block with ``event: error``.
    """
    start = {**message, "content": [], "stop_reason": None, "stop_sequence": None}
    start.pop("container", None)
    start["usage"] = {**message["usage"], "output_tokens": 1}
    yield event("message_start", {"type": "message_start", "message": start})
    for index, block in enumerate(message["content"]):
        yield from _block_events(index, block)
        if index == 0:
            yield event("ping", {"type": "ping"})
            if error_after_first_block is not None:
                yield event("error", error_after_first_block)
                return
    delta: dict[str, Any] = {"stop_reason": message["stop_reason"], "stop_sequence": None}
    if message.get("container") is not None:
        delta["container"] = message["container"]
    usage = {k: v for k, v in message["usage"].items() if k != "service_tier"}
    yield event("message_delta", {"type": "message_delta", "delta": delta, "usage": usage})
    yield event("message_stop", {"type": "message_stop"})
