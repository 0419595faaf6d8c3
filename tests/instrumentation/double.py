"""A small Messages API test double on 127.0.0.1 (http.server in a thread).

Answers like the API: JSON messages, SSE streams, real-format 400 bodies for tool pairing errors,
``request-id`` headers. It remembers every request it received (path, headers, raw body), so a test
can prove that nothing was sent. Behaviour switches (request headers):
``x-double: overloaded | server_error | sse_error`` and ``x-double-container: 1`` (return a container),
``x-double-thinking: 1`` (return a thinking block before the tool call or the text),
``x-double-encoding: gzip|deflate|compress`` (compress the body and say so in Content-Encoding;
``compress`` (LZW) is one nobody decodes: it sends opaque bytes).
"""

from __future__ import annotations

import gzip
import itertools
import json
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ORPHAN = (
    "messages.{i}.content.{j}: unexpected `tool_use_id` found in `tool_result` blocks: {id}. "
    "Each `tool_result` block must have a corresponding `tool_use` block in the previous message."
)
MISSING = (
    "messages.{i}: `tool_use` ids were found without `tool_result` blocks immediately after: {id}. "
    "Each `tool_use` block must have a corresponding `tool_result` block in the next message."
)


class Double:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.messages: dict[str, list[str]] = {}  # message id -> tool_use ids it returned
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        double = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                if self.headers.get("transfer-encoding", "").lower() == "chunked":
                    body = _read_chunked(self.rfile)
                else:
                    body = self.rfile.read(length)
                with double._lock:
                    double.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                double.handle(self, body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def next_id(self, prefix: str) -> str:
        with self._lock:
            return f"{prefix}_{next(self._ids):06d}"

    # --- behaviour -------------------------------------------------------------------------------------

    def handle(self, h: BaseHTTPRequestHandler, raw: bytes) -> None:
        rid = self.next_id("req")
        path = h.path.split("?")[0]
        if path.endswith("/count_tokens"):
            return self.send_json(h, 200, {"input_tokens": 42}, rid)
        try:
            body = json.loads(raw)
        except ValueError:
            return self.send_error(
                h, 400, "invalid_request_error", "There was an error parsing the body.", rid
            )
        if not isinstance(body, dict):
            return self.send_error(h, 400, "invalid_request_error", "body: Input should be an object", rid)
        mode = h.headers.get("x-double", "")
        if mode == "overloaded":
            return self.send_error(h, 529, "overloaded_error", "Overloaded", rid)
        if mode == "server_error":
            return self.send_error(h, 500, "api_error", "Internal server error", rid)
        problem = self.validate(body)
        if problem:
            return self.send_error(h, 400, "invalid_request_error", problem, rid)
        message = self.reply(body, h.headers)
        if body.get("stream"):
            return self.send_sse(h, message, rid, error=mode == "sse_error")
        return self.send_json(h, 200, message, rid)

    def validate(self, body: dict) -> str | None:
        messages = body.get("messages") or []
        thread = body.get("thread")
        if isinstance(thread, dict) and thread.get("type") == "continue":
            expected = self.messages.get(thread.get("previous_message_id"), [])
            got = [b.get("tool_use_id") for b in _blocks(messages[0])] if messages else []
            got = [g for g in got if g]
            if sorted(expected) != sorted(got):
                return "thread continuation: tool_result blocks do not match the previous tool calls"
            return None
        for i, msg in enumerate(messages):
            blocks = _blocks(msg)
            if msg.get("role") == "user":
                prev = (
                    _blocks(messages[i - 1]) if i > 0 and messages[i - 1].get("role") == "assistant" else []
                )
                prev_ids = {b.get("id") for b in prev if b.get("type") == "tool_use"}
                for j, b in enumerate(blocks):
                    if b.get("type") == "tool_result" and b.get("tool_use_id") not in prev_ids:
                        return ORPHAN.format(i=i, j=j, id=b.get("tool_use_id"))
            if msg.get("role") == "assistant":
                ids = [b.get("id") for b in blocks if b.get("type") == "tool_use"]
                nxt = _blocks(messages[i + 1]) if i + 1 < len(messages) else None
                if ids and nxt is not None:
                    answered = {b.get("tool_use_id") for b in nxt if b.get("type") == "tool_result"}
                    missing = [x for x in ids if x not in answered]
                    if missing:
                        return MISSING.format(i=i, id=", ".join(missing))
        return None

    def reply(self, body: dict, headers: Any) -> dict:
        messages = body.get("messages") or []
        last = messages[-1] if messages else {}
        answered_tools = any(b.get("type") == "tool_result" for b in _blocks(last))
        msg_id = self.next_id("msg")
        content: list[dict] = []
        if body.get("tools") and not answered_tools:
            if headers.get("x-double-thinking"):
                content.append(
                    {"type": "thinking", "thinking": "Let me think.", "signature": "sig-" + msg_id}
                )
            tool = body["tools"][0]["name"]
            content.append({"type": "tool_use", "id": self.next_id("toolu"), "name": tool, "input": {"q": 1}})
            stop = "tool_use"
        else:
            if headers.get("x-double-thinking"):  # [thinking, text]: the turn a resumed session ends with
                thought = {"type": "thinking", "thinking": "Done thinking.", "signature": "sig-" + msg_id}
                content.append(thought)
            content.append({"type": "text", "text": "Done."})
            stop = "end_turn"
        self.messages[msg_id] = [b["id"] for b in content if b["type"] == "tool_use"]
        message = {
            "id": msg_id,
            "type": "message",
            "role": "assistant",
            "model": body.get("model", "claude-sonnet-4-5"),
            "content": content,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": {"input_tokens": 10, "output_tokens": 5},
        }
        if headers.get("x-double-container"):
            message["container"] = {"id": "container_011CABC", "expires_at": "2030-01-01T00:00:00Z"}
        return message

    # --- writers ---------------------------------------------------------------------------------------

    def send_json(self, h: BaseHTTPRequestHandler, status: int, obj: Any, rid: str) -> None:
        data = json.dumps(obj).encode()
        h.send_response(status)
        data = _encode(h, data)
        h.send_header("content-type", "application/json")
        h.send_header("request-id", rid)
        h.send_header("content-length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def send_error(self, h: BaseHTTPRequestHandler, status: int, etype: str, message: str, rid: str) -> None:
        err = {"type": "error", "error": {"type": etype, "message": message}, "request_id": rid}
        h.send_response(status)
        data = _encode(h, json.dumps(err).encode())
        h.send_header("content-type", "application/json")
        h.send_header("request-id", rid)
        if status == 400:
            h.send_header("x-should-retry", "false")
        h.send_header("content-length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def send_sse(self, h: BaseHTTPRequestHandler, message: dict, rid: str, error: bool) -> None:
        h.send_response(200)
        h.send_header("content-type", "text/event-stream")
        h.send_header("request-id", rid)
        h.send_header("transfer-encoding", "chunked")
        gz = None
        if h.headers.get("x-double-encoding") == "gzip":
            gz = zlib.compressobj(wbits=31)
            h.send_header("content-encoding", "gzip")
        h.end_headers()
        for event, data in sse_events(message, error):
            payload = f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()
            if gz is not None:
                payload = gz.compress(payload) + gz.flush(zlib.Z_SYNC_FLUSH)
            h.wfile.write(f"{len(payload):x}\r\n".encode() + payload + b"\r\n")
            h.wfile.flush()
        if gz is not None:
            tail = gz.flush()
            h.wfile.write(f"{len(tail):x}\r\n".encode() + tail + b"\r\n")
        h.wfile.write(b"0\r\n\r\n")
        h.wfile.flush()


def sse_events(message: dict, error: bool = False) -> list[tuple[str, dict]]:
    start = {**message, "content": [], "stop_reason": None}
    container = start.pop("container", None)
    out: list[tuple[str, dict]] = [("message_start", {"type": "message_start", "message": start})]
    out.append(("ping", {"type": "ping"}))
    for i, block in enumerate(message["content"]):
        if block["type"] == "text":
            out.append(
                (
                    "content_block_start",
                    {
                        "type": "content_block_start",
                        "index": i,
                        "content_block": {"type": "text", "text": ""},
                    },
                )
            )
            for part in ("Do", "ne."):
                out.append(
                    (
                        "content_block_delta",
                        {
                            "type": "content_block_delta",
                            "index": i,
                            "delta": {"type": "text_delta", "text": part},
                        },
                    )
                )
        elif block["type"] == "thinking":
            out.append(
                (
                    "content_block_start",
                    {
                        "type": "content_block_start",
                        "index": i,
                        "content_block": {"type": "thinking", "thinking": ""},
                    },
                )
            )
            out.append(
                (
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": i,
                        "delta": {"type": "thinking_delta", "thinking": block["thinking"]},
                    },
                )
            )
            out.append(
                (
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": i,
                        "delta": {"type": "signature_delta", "signature": block["signature"]},
                    },
                )
            )
        else:
            out.append(
                (
                    "content_block_start",
                    {"type": "content_block_start", "index": i, "content_block": {**block, "input": {}}},
                )
            )
            out.append(
                (
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": i,
                        "delta": {"type": "input_json_delta", "partial_json": json.dumps(block["input"])},
                    },
                )
            )
        if error:
            out.append(
                ("error", {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
            )
            return out
        out.append(("content_block_stop", {"type": "content_block_stop", "index": i}))
    delta: dict[str, Any] = {"stop_reason": message["stop_reason"], "stop_sequence": None}
    if container:
        delta["container"] = container
    out.append(("message_delta", {"type": "message_delta", "delta": delta, "usage": {"output_tokens": 5}}))
    out.append(("message_stop", {"type": "message_stop"}))
    return out


def _encode(h: BaseHTTPRequestHandler, data: bytes) -> bytes:
    enc = h.headers.get("x-double-encoding")
    if not enc:
        return data
    h.send_header("content-encoding", enc)
    if enc == "gzip":
        return gzip.compress(data, mtime=0)
    if enc == "deflate":
        return zlib.compress(data)
    return b"\x8b\x00opaque-lzw" + data[::-1]


def _blocks(msg: Any) -> list[dict]:
    content = msg.get("content") if isinstance(msg, dict) else None
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [b for b in content or [] if isinstance(b, dict)]


def _read_chunked(rfile: Any) -> bytes:
    out = bytearray()
    while True:
        size = int(rfile.readline().strip().split(b";")[0], 16)
        if size == 0:
            rfile.readline()
            return bytes(out)
        out += rfile.read(size)
        rfile.readline()
