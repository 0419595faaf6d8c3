"""Observers of response bodies: fed the bytes the application reads, they never change or hold them.

``SSEObserver`` follows a Messages API event stream incrementally (no buffering of the stream; only
the small JSON of the events that matter is parsed). ``JSONObserver`` keeps a bounded copy of a
non-streaming body and parses it at the end. Both report a :class:`ResponseSummary` once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from time import perf_counter
from typing import Any

import orjson

from claude_otel.core.continuity import ResponseRecord, record_from_message, text_digest
from claude_otel.core.sse import SSEParser

from .genai import read_usage

__all__ = ["ErrorBodyObserver", "JSONObserver", "ResponseSummary", "SSEObserver"]

_KEEP_DELTAS = (b"thinking_delta", b"signature_delta")


@dataclass
class ResponseSummary:
    kind: str  # "sse" | "json" | "error"
    completed: bool = False  # SSE: message_stop seen; JSON: fully read and parsed
    error_event: bytes | None = None  # SSE: data of the first `event: error`
    error_body: bytes | None = None  # error status: the (bounded) body
    message_id: str | None = None
    tool_use_count: int = 0
    stop_reason: str | None = None
    container_id: str | None = None
    record: ResponseRecord | None = None
    too_large: bool = False
    bytes_seen: int = 0
    notes: list[str] = field(default_factory=list)
    usage: dict[str, int] | None = None  # token counts by type (genai.TOKEN_TYPES)
    response_model: str | None = None
    first_chunk_at: float | None = None  # SSE: perf_counter() when the app read the first bytes
    first_token_at: float | None = None  # SSE: ... the first content_block_delta


class SSEObserver:
    def __init__(self) -> None:
        # text and input deltas (the bulk of a stream) are dropped by the parser unsliced; thinking and
        # signature deltas are kept for the digests
        self._parser = SSEParser(drop=("content_block_delta",), unless=_KEEP_DELTAS)
        self.summary = ResponseSummary(kind="sse")
        self._tool_ids: list[str] = []
        self._server_ids: list[str] = []
        self._thinking: dict[int, list[Any]] = {}  # index -> [kind, hasher_a, hasher_b | digest]
        self._thinking_order: list[int] = []

    def feed(self, chunk: bytes) -> None:
        s = self.summary
        if s.first_chunk_at is None:
            s.first_chunk_at = perf_counter()
        s.bytes_seen += len(chunk)
        parser = self._parser
        events = parser.feed(chunk)
        if s.first_token_at is None and (
            parser.dropped or any(event == "content_block_delta" for event, _ in events)
        ):
            s.first_token_at = perf_counter()
        for event, data in events:
            self._event(event, data)

    def close(self) -> ResponseSummary:
        for event, data in self._parser.close():
            self._event(event, data)
        s = self.summary
        thinking = []
        for idx in self._thinking_order:
            item = self._thinking[idx]
            if item[0] == "thinking":
                thinking.append(("thinking", item[1].hexdigest(), item[2].hexdigest()))
            else:
                thinking.append(tuple(item))
        s.tool_use_count = len(self._tool_ids)
        s.record = ResponseRecord(
            message_id=s.message_id,
            tool_use_ids=tuple(self._tool_ids),
            server_tool_use_ids=tuple(self._server_ids),
            container_id=s.container_id,
            thinking=tuple(thinking),
            stop_reason=s.stop_reason,
        )
        return s

    def _event(self, event: str, data: bytes) -> None:
        if event == "content_block_delta":
            # the bulk of a stream: only thinking/signature deltas matter, and only for digests
            if b"thinking_delta" in data or b"signature_delta" in data:
                self._thinking_delta(data)
            return
        if event in ("ping", "content_block_stop", "message_stop"):
            if event == "message_stop":
                self.summary.completed = True
            return
        if event == "error":
            if self.summary.error_event is None:
                self.summary.error_event = data[:65536]
            return
        try:
            obj = orjson.loads(data)
        except orjson.JSONDecodeError:
            return
        if not isinstance(obj, dict):
            return
        if event == "message_start":
            msg = obj.get("message") or {}
            if isinstance(msg.get("id"), str):
                self.summary.message_id = msg["id"]
            if isinstance(msg.get("model"), str):
                self.summary.response_model = msg["model"]
            self.summary.usage = read_usage(msg.get("usage"), self.summary.usage)
            container = msg.get("container")
            if isinstance(container, dict) and isinstance(container.get("id"), str):
                self.summary.container_id = container["id"]
        elif event == "content_block_start":
            block = obj.get("content_block") or {}
            kind = block.get("type")
            if kind == "tool_use" and isinstance(block.get("id"), str):
                self._tool_ids.append(block["id"])
            elif kind == "server_tool_use" and isinstance(block.get("id"), str):
                self._server_ids.append(block["id"])
            elif kind == "thinking":
                idx = obj.get("index")
                a = hashlib.blake2b(digest_size=12)
                b = hashlib.blake2b(digest_size=12)
                a.update(str(block.get("thinking") or "").encode("utf-8", "surrogatepass"))
                b.update(str(block.get("signature") or "").encode("utf-8", "surrogatepass"))
                self._thinking[idx] = ["thinking", a, b]
                self._thinking_order.append(idx)
            elif kind == "redacted_thinking":
                idx = obj.get("index")
                self._thinking[idx] = ["redacted_thinking", text_digest(str(block.get("data") or ""))]
                self._thinking_order.append(idx)
        elif event == "message_delta":
            delta = obj.get("delta") or {}
            if isinstance(delta.get("stop_reason"), str):
                self.summary.stop_reason = delta["stop_reason"]
            self.summary.usage = read_usage(obj.get("usage"), self.summary.usage)  # cumulative counts
            container = delta.get("container")
            if isinstance(container, dict) and isinstance(container.get("id"), str):
                self.summary.container_id = container["id"]

    def _thinking_delta(self, data: bytes) -> None:
        try:
            obj = orjson.loads(data)
        except orjson.JSONDecodeError:
            return
        item = self._thinking.get(obj.get("index")) if isinstance(obj, dict) else None
        if not item or item[0] != "thinking":
            return
        delta = obj.get("delta") or {}
        if delta.get("type") == "thinking_delta":
            item[1].update(str(delta.get("thinking") or "").encode("utf-8", "surrogatepass"))
        elif delta.get("type") == "signature_delta":
            item[2].update(str(delta.get("signature") or "").encode("utf-8", "surrogatepass"))


class JSONObserver:
    """Bounded copy of a non-streaming 2xx body, parsed once at the end."""

    def __init__(self, max_bytes: int) -> None:
        self._max = max_bytes
        self._chunks: list[bytes] = []
        self.summary = ResponseSummary(kind="json")

    def feed(self, chunk: bytes) -> None:
        s = self.summary
        s.bytes_seen += len(chunk)
        if s.too_large:
            return
        if s.bytes_seen > self._max:
            s.too_large = True
            self._chunks.clear()
            return
        self._chunks.append(chunk)

    def close(self) -> ResponseSummary:
        s = self.summary
        if s.too_large or not self._chunks:
            return s
        raw = b"".join(self._chunks)
        self._chunks.clear()
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError:
            s.notes.append("unparseable")
            return s
        record = record_from_message(obj) if isinstance(obj, dict) else None
        if record is not None:
            s.completed = True
            s.record = record
            s.message_id = record.message_id
            s.tool_use_count = len(record.tool_use_ids)
            s.stop_reason = record.stop_reason
            s.container_id = record.container_id
            s.usage = read_usage(obj.get("usage"))
            if isinstance(obj.get("model"), str):
                s.response_model = obj["model"]
        return s


class ErrorBodyObserver:
    """Bounded copy of an error body."""

    def __init__(self, max_bytes: int) -> None:
        self._max = max_bytes
        self._buf = bytearray()
        self.summary = ResponseSummary(kind="error")

    def feed(self, chunk: bytes) -> None:
        self.summary.bytes_seen += len(chunk)
        room = self._max - len(self._buf)
        if room > 0:
            self._buf += chunk[:room]

    def close(self) -> ResponseSummary:
        self.summary.error_body = bytes(self._buf)
        return self.summary
