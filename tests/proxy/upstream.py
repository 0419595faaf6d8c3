"""A scriptable HTTP/1.1 upstream on 127.0.0.1 written on raw asyncio streams, so tests control every byte
it sends (chunk boundaries, hop-by-hop headers, resets) and see every byte the proxy forwards.

The scenario is picked by the ``x-scenario`` request header (default ``json``)."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

DATE = b"Sat, 21 Nov 2026 12:00:00 GMT"

MESSAGE = {
    "id": "msg_01TestUpstream",
    "type": "message",
    "role": "assistant",
    "model": "claude-sonnet-4-5",
    "content": [{"type": "text", "text": "hello from the test upstream"}],
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {"input_tokens": 12, "output_tokens": 6},
}
JSON_BODY = json.dumps(MESSAGE, separators=(",", ":")).encode()


def sse_event(name: str, data: dict) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


SSE_EVENTS: list[bytes] = [
    sse_event(
        "message_start", {"type": "message_start", "message": {**MESSAGE, "content": [], "stop_reason": None}}
    ),
    sse_event(
        "content_block_start",
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    ),
    sse_event("ping", {"type": "ping"}),
    sse_event(
        "content_block_delta",
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "hello"}},
    ),
    sse_event("content_block_stop", {"type": "content_block_stop", "index": 0}),
    sse_event(
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": None},
            "usage": {"output_tokens": 6},
        },
    ),
    sse_event("message_stop", {"type": "message_stop"}),
]


@dataclass
class Received:
    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None

    def header_names(self) -> list[str]:
        return [k.lower() for k, _ in self.headers]


@dataclass
class Upstream:
    """Start with ``with Upstream() as up:``; ``up.base_url``, ``up.requests``, gates and signals below."""

    host: str = "127.0.0.1"
    requests: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)  # lets gated scenarios continue
    first_sent: threading.Event = field(default_factory=threading.Event)
    peer_closed: threading.Event = field(default_factory=threading.Event)  # the proxy dropped our connection
    events_sent: int = 0

    def __post_init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._serve, self.host, 0))
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    def __enter__(self) -> Upstream:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()

        async def stop() -> None:
            self._server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = [tuple(line.split(":", 1)) for line in lines[1:] if line]
                headers = [(k, v.strip()) for k, v in headers]
                req = Received(method, target, headers, b"")
                if (req.header("transfer-encoding") or "").lower() == "chunked":
                    req.body = await _read_chunked(reader)
                else:
                    req.body = await reader.readexactly(int(req.header("content-length") or 0))
                self.requests.append(req)
                handler = SCENARIOS[req.header("x-scenario") or "json"]
                keep_alive = await handler(self, req, reader, writer)
                if not keep_alive:
                    return
        except asyncio.CancelledError:  # server shutdown
            return
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def wait_release(self) -> None:
        while not self.release.is_set():
            await asyncio.sleep(0.005)


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    body = b""
    while True:
        size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return body
        body += await reader.readexactly(size)
        await reader.readexactly(2)


Handler = Callable[[Upstream, Received, asyncio.StreamReader, asyncio.StreamWriter], Awaitable[bool]]

COMMON = [
    (b"Date", DATE),
    (b"Server", b"test-upstream"),
    (b"request-id", b"req_011CTestUpstream"),
    (b"anthropic-organization-id", b"org-test"),
    (b"Connection", b"keep-alive, X-Hop-Secret"),
    (b"Keep-Alive", b"timeout=5"),
    (b"X-Hop-Secret", b"connection-specific"),
    (b"Set-Cookie", b"__cf_bm=abc; Path=/; HttpOnly"),
]


def _head(status: bytes, headers: list[tuple[bytes, bytes]]) -> bytes:
    return b"HTTP/1.1 " + status + b"\r\n" + b"".join(k + b": " + v + b"\r\n" for k, v in headers) + b"\r\n"


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


async def _json(up: Upstream, req: Received, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> bool:
    body = JSON_BODY
    headers = [(b"Content-Type", b"application/json"), (b"Content-Length", str(len(body)).encode()), *COMMON]
    w.write(_head(b"200 OK", headers) + body)
    await w.drain()
    return True


async def _json_gzip(up: Upstream, req: Received, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> bool:
    body = gzip.compress(JSON_BODY, mtime=0)
    headers = [
        (b"Content-Type", b"application/json"),
        (b"Content-Encoding", b"gzip"),
        (b"Content-Length", str(len(body)).encode()),
        *COMMON,
    ]
    w.write(_head(b"200 OK", headers) + body)
    await w.drain()
    return True


SSE_HEADERS = [
    (b"Content-Type", b"text/event-stream; charset=utf-8"),
    (b"Cache-Control", b"no-cache"),
    (b"Transfer-Encoding", b"chunked"),
    *COMMON,
]


async def _sse(up: Upstream, req: Received, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> bool:
    w.write(_head(b"200 OK", SSE_HEADERS))
    for event in SSE_EVENTS:
        w.write(_chunk(event))
        await w.drain()
    w.write(b"0\r\n\r\n")
    await w.drain()
    return True


async def _sse_gated(up: Upstream, req: Received, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> bool:
    """Event 1, then nothing until the test sets ``up.release``, then the rest."""
    w.write(_head(b"200 OK", SSE_HEADERS) + _chunk(SSE_EVENTS[0]))
    await w.drain()
    up.first_sent.set()
    await up.wait_release()
    for event in SSE_EVENTS[1:]:
        w.write(_chunk(event))
    w.write(b"0\r\n\r\n")
    await w.drain()
    return True


async def _sse_reset(up: Upstream, req: Received, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> bool:
    """Two events, then the connection is dropped without the final chunk."""
    w.write(_head(b"200 OK", SSE_HEADERS) + _chunk(SSE_EVENTS[0]) + _chunk(SSE_EVENTS[1]))
    await w.drain()
    w.transport.abort()
    return False


async def _sse_forever(up: Upstream, req: Received, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> bool:
    """A ping every 20 ms until the peer closes; then ``up.peer_closed`` is set."""
    w.write(_head(b"200 OK", SSE_HEADERS) + _chunk(SSE_EVENTS[0]))
    await w.drain()
    eof = asyncio.ensure_future(r.read(1))
    try:
        while not eof.done():
            w.write(_chunk(SSE_EVENTS[2]))
            up.events_sent += 1
            try:
                await w.drain()
            except ConnectionError:
                break
            await asyncio.wait({eof}, timeout=0.02)
    finally:
        eof.cancel()
    up.peer_closed.set()
    return False


async def _hold(up: Upstream, req: Received, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> bool:
    """Never answers; sets ``up.peer_closed`` when the proxy drops the connection."""
    while True:
        data = await r.read(1)
        if not data:
            up.peer_closed.set()
            return False


async def _close(up: Upstream, req: Received, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> bool:
    """Reads the request and closes the connection without answering."""
    return False


async def _slow(up: Upstream, req: Received, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> bool:
    """Answers only after ``up.release``."""
    await up.wait_release()
    return await _json(up, req, r, w)


def _error(
    status: bytes, error_type: str, message: str, extra: list[tuple[bytes, bytes]], *, gzipped: bool = False
) -> Handler:
    body = json.dumps(
        {"type": "error", "error": {"type": error_type, "message": message}, "request_id": "req_011CErr"}
    ).encode()
    if gzipped:
        body = gzip.compress(body, mtime=0)
        extra = [*extra, (b"Content-Encoding", b"gzip")]

    async def handler(up: Upstream, req: Received, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> bool:
        headers = [
            (b"Content-Type", b"application/json"),
            (b"Content-Length", str(len(body)).encode()),
            *extra,
            *COMMON,
        ]
        w.write(_head(status, headers) + body)
        await w.drain()
        return True

    return handler


async def _echo(up: Upstream, req: Received, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> bool:
    """Answers with what arrived: method, target, header names, body length."""
    body = json.dumps(
        {
            "method": req.method,
            "target": req.target,
            "headers": req.header_names(),
            "body_bytes": len(req.body),
        }
    ).encode()
    headers = [(b"Content-Type", b"application/json"), (b"Content-Length", str(len(body)).encode()), *COMMON]
    w.write(_head(b"200 OK", headers) + body)
    await w.drain()
    return True


SCENARIOS: dict[str, Handler] = {
    "json": _json,
    "json-gzip": _json_gzip,
    "sse": _sse,
    "sse-gated": _sse_gated,
    "sse-reset": _sse_reset,
    "sse-forever": _sse_forever,
    "hold": _hold,
    "slow": _slow,
    "close": _close,
    "echo": _echo,
    "429": _error(
        b"429 Too Many Requests",
        "rate_limit_error",
        "Number of request tokens has exceeded your per-minute rate limit",
        [(b"retry-after", b"17"), (b"x-should-retry", b"true")],
    ),
    "529": _error(b"529 Overloaded", "overloaded_error", "Overloaded", []),
    "400": _error(
        b"400 Bad Request",
        "invalid_request_error",
        "messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_01A. "
        "Each `tool_use` block must have a corresponding `tool_result` block in the next message.",
        [],
    ),
    "400-gzip": _error(
        b"400 Bad Request",
        "invalid_request_error",
        "messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_01A. "
        "Each `tool_use` block must have a corresponding `tool_result` block in the next message.",
        [],
        gzipped=True,
    ),
}
