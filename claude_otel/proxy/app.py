"""The ASGI reverse proxy: forwards every request to the upstream byte for byte, streams responses back
unbuffered, and answers upstream trouble in the API's own error format.

No retries, no re-encoding: the request body is forwarded as received, the response body as the upstream
sent it on the wire (``content-encoding`` untouched). Connection-specific headers are dropped both ways.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.cookiejar
import logging
import socket
import ssl
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

import httpx

from claude_otel.proxy.accounting import ProxyAccounting
from claude_otel.proxy.budget import ByteBudget
from claude_otel.proxy.errors import error_response, guard_message
from claude_otel.proxy.headers import request_headers, response_headers
from claude_otel.proxy.protocol import ServerLimits, guarded_protocol
from claude_otel.proxy.target import BadTarget, UpstreamTarget

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

log = logging.getLogger("claude_otel.proxy")

DEFAULT_UPSTREAM = "https://api.anthropic.com"
DEFAULT_METRICS_PATH = "/_claude-otel/metrics"


@dataclass(frozen=True)
class ProxyConfig:
    """What the proxy forwards to and how long it waits. Timeouts in seconds."""

    upstream: str = DEFAULT_UPSTREAM
    connect_timeout: float = 10.0
    read_timeout: float = 600.0
    write_timeout: float = 600.0
    pool_timeout: float = 30.0
    max_connections: int = 200
    max_request_bytes: int = 64 * 1024 * 1024
    metrics_path: str | None = DEFAULT_METRICS_PATH
    guard: bool = False
    repair: bool = False  # the hooks rewrite requests predicted to fail only by fixable shapes
    trust_env: bool = True
    # the proxy as a server (claude_otel/proxy/protocol.py, budget.py): see the README's proxy section
    header_timeout: float = 10.0  # request head must be complete within this, from its first byte
    body_timeout: float = 30.0  # longest pause while the request body arrives
    max_client_connections: int = 1024  # open client connections; more are answered 503
    max_buffered_bytes: int = 256 * 1024 * 1024  # request bodies held at once, all requests together
    max_header_bytes: int = 64 * 1024  # the request head (request line + headers)
    retry_after: int = 2  # seconds, on the proxy's 503 overloaded_error

    def __post_init__(self) -> None:
        url = httpx.URL(self.upstream)
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError(f"upstream must be an http(s) URL with a host, got {self.upstream!r}")
        if url.query or url.fragment:
            raise ValueError(f"upstream must not carry a query or fragment, got {self.upstream!r}")
        for name in (
            "connect_timeout",
            "read_timeout",
            "write_timeout",
            "pool_timeout",
            "header_timeout",
            "body_timeout",
        ):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}")
        for name in ("max_connections", "max_request_bytes", "max_client_connections", "max_header_bytes"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)!r}")
        if self.max_buffered_bytes < self.max_request_bytes:
            raise ValueError("max_buffered_bytes must be >= max_request_bytes (one largest request must fit)")
        if self.metrics_path is not None and not self.metrics_path.startswith("/"):
            raise ValueError(f"metrics_path must start with '/', got {self.metrics_path!r}")

    @property
    def upstream_base(self) -> str:
        """Scheme, authority and path prefix of the upstream, without a trailing slash."""
        return self.upstream.rstrip("/")


class _NoCookies(http.cookiejar.DefaultCookiePolicy):
    """The proxy is shared by many clients: never store upstream cookies."""

    def set_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False


def make_upstream_client(config: ProxyConfig) -> httpx.AsyncClient:
    """A plain httpx.AsyncClient for the upstream: no redirects, no cookie jar, the config's timeouts."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(
            connect=config.connect_timeout,
            read=config.read_timeout,
            write=config.write_timeout,
            pool=config.pool_timeout,
        ),
        limits=httpx.Limits(max_connections=config.max_connections, max_keepalive_connections=64),
        follow_redirects=False,
        trust_env=config.trust_env,
        cookies=http.cookiejar.CookieJar(policy=_NoCookies()),
    )


MetricsRenderer = Callable[[], tuple[bytes, str]]
GuardErrorTypes = tuple[type[BaseException], ...]


class ProxyApp:
    """ASGI3 application. ``client`` is the upstream client (instrumented or not); the app closes it on
    lifespan shutdown or :meth:`aclose`. ``metrics`` renders the metrics page (body, content type) served at
    ``config.metrics_path``; ``guard_errors`` are the exception types the client raises to refuse a request
    before sending it."""

    def __init__(
        self,
        config: ProxyConfig,
        client: httpx.AsyncClient | None = None,
        *,
        metrics: MetricsRenderer | None = None,
        guard_errors: GuardErrorTypes = (),
        accounting: ProxyAccounting | None = None,
    ) -> None:
        self.config = config
        self.client = client if client is not None else make_upstream_client(config)
        self._metrics = metrics
        self._guard_errors = guard_errors
        self._target = UpstreamTarget(config.upstream)
        self._budget = ByteBudget(config.max_buffered_bytes)
        self._accounting = accounting
        self._upstream_name = httpx.URL(config.upstream).netloc.decode("ascii", "replace")

    def http_protocol(self) -> type:
        """The uvicorn protocol class enforcing this proxy's server limits (used by server.uvicorn_config)."""
        c = self.config
        limits = ServerLimits(
            header_timeout=c.header_timeout,
            body_timeout=c.body_timeout,
            max_connections=c.max_client_connections,
            max_header_bytes=c.max_header_bytes,
        )
        return guarded_protocol(limits, self._refuse, self.raw_refusal())

    async def aclose(self) -> None:
        await self.client.aclose()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            if self._metrics is not None and scope["path"] == self.config.metrics_path:
                await self._serve_metrics(scope, send)
            else:
                await self._proxy(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        elif kind == "websocket":
            await send({"type": "websocket.close", "code": 1008})

    # -- lifespan and the local pages -------------------------------------------------------------

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                with contextlib.suppress(Exception):
                    await self.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _serve_metrics(self, scope: Scope, send: Send) -> None:
        assert self._metrics is not None
        if scope["method"] not in ("GET", "HEAD"):
            await _send_simple(send, 405, [(b"allow", b"GET, HEAD")], b"")
            return
        body, content_type = self._metrics()
        headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
        await _send_simple(send, 200, headers, body)

    # -- forwarding --------------------------------------------------------------------------------

    def upstream_url(self, scope: Scope) -> httpx.URL:
        """The upstream URL for the request's target (BadTarget unless origin-form or the upstream's own
        absolute URL): the scheme and authority are the configured upstream's, whatever the client sent."""
        raw_path = scope.get("raw_path") or scope["path"].encode("latin-1")
        return self._target.url(raw_path, scope.get("query_string") or b"")

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Over the client connection cap (protocol.py): 503 overloaded_error, the connection closed."""
        await self._answer(scope, send, "overloaded", close=True)

    def raw_refusal(self) -> bytes:
        """The same 503 as a whole HTTP/1.1 response, for connections refused before any byte is read."""
        status, headers, body = self._error("overloaded", close=True)
        head = b"".join(name + b": " + value + b"\r\n" for name, value in headers)
        return b"HTTP/1.1 %d Service Unavailable\r\n" % status + head + b"\r\n" + body

    def _error(self, reason: str, *, close: bool = False) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        if reason == "overloaded":
            answer = error_response(
                503,
                "overloaded_error",
                "claude-otel proxy: too many requests in flight at the proxy; retry shortly.",
                "overloaded",
            )
            answer[1].append((b"retry-after", str(self.config.retry_after).encode()))
        elif reason == "request_too_large":
            limit = self.config.max_request_bytes
            answer = error_response(
                413,
                "request_too_large",
                f"claude-otel proxy: request body exceeds the proxy's limit of {limit} bytes.",
                "request_too_large",
            )
        elif reason == "header_too_large":
            answer = error_response(
                431,
                "invalid_request_error",
                "claude-otel proxy: request head exceeds the proxy's limit of "
                f"{self.config.max_header_bytes} bytes.",
                "header_too_large",
            )
        else:  # bad_target
            answer = error_response(
                400,
                "invalid_request_error",
                "claude-otel proxy: the request target must be a path (origin-form), "
                "or the upstream's own absolute URL.",
                "bad_target",
            )
        if close:  # the request body was not read: the connection cannot carry another request
            answer[1].append((b"connection", b"close"))
        return answer

    async def _answer(
        self, scope: Scope, send: Send, reason: str, *, close: bool = False, body: bytes | None = None
    ) -> None:
        if self._accounting is not None:  # counted before answering: a client that reads it sees it counted
            self._accounting.count(scope, reason, body)
        await _send_error(send, *self._error(reason, close=close))

    async def _proxy(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            url = self.upstream_url(scope)
        except BadTarget:
            await self._answer(scope, send, "bad_target", close=True)
            return
        if _head_size(scope) > self.config.max_header_bytes:  # h11 bounds only a head still incomplete
            await self._answer(scope, send, "header_too_large", close=True)
            return
        declared = _declared_length(scope["headers"])
        if declared is not None and declared > self.config.max_request_bytes:
            await self._answer(scope, send, "request_too_large", close=True)  # before reading the body
            return
        budget = self._budget
        reserved = declared or 0
        if not budget.take(reserved):
            await self._answer(scope, send, "overloaded", close=True)
            return
        held = [reserved]  # what this request holds of the budget, grown by a chunked body
        try:
            await self._read_and_forward(scope, receive, send, url, declared, held)
        finally:
            budget.give(held[0])

    async def _read_and_forward(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        url: httpx.URL,
        declared: int | None,
        held: list[int],
    ) -> None:
        body = await self._read_body(receive, declared, held)
        if body is None:  # client went away while sending its request
            return
        if isinstance(body, str):  # refused while reading: the rest of the body is not read
            await self._answer(scope, send, body, close=True)
            return
        try:
            request = httpx.Request(
                scope["method"],
                url,
                headers=request_headers(scope["headers"]),
                content=body,
            )
        except (httpx.InvalidURL, ValueError, TypeError):
            await _send_error(
                send,
                *error_response(
                    400,
                    "invalid_request_error",
                    "claude-otel proxy: the request target or headers cannot be forwarded as given.",
                    "bad_request",
                ),
            )
            return
        forward = asyncio.ensure_future(self._forward(request, send, scope, body))
        watch = asyncio.ensure_future(_wait_disconnect(receive))
        try:
            await asyncio.wait({forward, watch}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not forward.done():  # the client disconnected: drop the upstream request or stream
                forward.cancel()
            watch.cancel()
            outcome, _ = await asyncio.gather(forward, watch, return_exceptions=True)
        if isinstance(outcome, Exception):  # a bug, not upstream trouble (that is answered in _forward)
            log.error("claude-otel proxy: forwarding failed: %s", type(outcome).__name__)

    async def _read_body(self, receive: Receive, declared: int | None, held: list[int]) -> bytes | str | None:
        """The whole body; None if the client went away; a refusal reason ("request_too_large",
        "overloaded") as soon as the body passes the per-request limit or the shared byte budget."""
        limit = self.config.max_request_bytes
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            if chunk:
                size += len(chunk)
                if size > limit:
                    return "request_too_large"
                if declared is None:  # chunked: take from the shared budget as the bytes arrive
                    if not self._budget.take(len(chunk)):
                        return "overloaded"
                    held[0] += len(chunk)
                chunks.append(chunk)
            if not message.get("more_body", False):
                return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    async def _forward(self, request: httpx.Request, send: Send, scope: Scope, body: bytes) -> None:
        count = self._accounting.count if self._accounting is not None else _no_count
        try:
            response = await self.client.send(request, stream=True)
        except self._guard_errors as exc:
            findings = getattr(exc, "findings", None) or getattr(
                getattr(exc, "analysis", None), "findings", ()
            )
            message = guard_message(findings) if findings else f"claude-otel proxy guard: {exc}"
            await _send_error(send, *error_response(400, "invalid_request_error", message, "guard"))
            return
        except httpx.TimeoutException as exc:
            phase = _timeout_phase(exc)
            count(scope, "upstream_timeout", body)  # counted before answering
            await _send_error(
                send,
                *error_response(
                    504,
                    "timeout_error",
                    f"claude-otel proxy: upstream {self._upstream_name} timed out ({phase}).",
                    "upstream_timeout",
                ),
            )
            return
        except httpx.TransportError as exc:
            reason = "upstream_connect" if isinstance(exc, httpx.ConnectError) else "upstream_error"
            count(scope, reason, body)
            await _send_error(
                send,
                *error_response(
                    502,
                    "api_error",
                    f"claude-otel proxy: could not reach upstream {self._upstream_name} "
                    f"({_transport_reason(exc)}).",
                    reason,
                ),
            )
            return
        except Exception as exc:  # instrumentation or client bug: answer, never hang the client
            log.error("claude-otel proxy: upstream request failed: %s", type(exc).__name__)
            count(scope, "proxy_error", body)
            await _send_error(
                send,
                *error_response(
                    502,
                    "api_error",
                    f"claude-otel proxy: upstream request failed ({type(exc).__name__}).",
                    "proxy_error",
                ),
            )
            return
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": response.status_code,
                    "headers": response_headers(response.headers.raw),
                }
            )
            try:
                async for chunk in response.aiter_raw():
                    if chunk:
                        await send({"type": "http.response.body", "body": chunk, "more_body": True})
            except httpx.HTTPError as exc:
                # Headers are out: the only honest signal left is an incomplete response, so the
                # connection is closed without the final chunk, as the upstream's was.
                log.warning(
                    "claude-otel proxy: upstream stream broke mid-response (%s); closing the client side",
                    _transport_reason(exc),
                )
                return
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await response.aclose()


def _declared_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    """The request's Content-Length, or None when the body is chunked (the transfer coding wins, RFC 9112
    §6.3) or no length is declared. h11 has already refused malformed or conflicting lengths."""
    length = None
    for name, value in headers:
        if name == b"transfer-encoding":
            return None
        if name == b"content-length" and value.strip().isdigit():
            length = int(value)
    return length


def _head_size(scope: Scope) -> int:
    """Bytes of the request line and headers, as received (near enough: separators counted)."""
    size = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"") + 32
    for name, value in scope["headers"]:
        size += len(name) + len(value) + 4
    return size


def _no_count(scope: Scope, reason: str, body: bytes | None = None) -> None:
    return None


async def _wait_disconnect(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


async def _send_simple(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _send_error(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    await _send_simple(send, status, headers, body)


def _timeout_phase(exc: httpx.TimeoutException) -> str:
    if isinstance(exc, httpx.ConnectTimeout):
        return "connect"
    if isinstance(exc, httpx.WriteTimeout):
        return "sending the request"
    if isinstance(exc, httpx.PoolTimeout):
        return "waiting for a free connection"
    return "waiting for the response"


def _transport_reason(exc: BaseException) -> str:
    if isinstance(exc, httpx.ConnectError):
        for cause in _causes(exc):
            if isinstance(cause, ConnectionRefusedError):
                return "connection refused"
            if isinstance(cause, socket.gaierror):
                return "name resolution failed"
            if isinstance(cause, ssl.SSLError):
                return "TLS handshake failed"
        text = str(exc).lower()
        if "refused" in text:
            return "connection refused"
        return "connect failed"
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "upstream closed the connection"
    if isinstance(exc, httpx.ReadError):
        return "connection reset"
    return type(exc).__name__


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception, its causes/contexts and, for exception groups, their members (bounded walk)."""
    seen: list[BaseException] = []
    todo = [exc]
    while todo and len(seen) < 32:
        current = todo.pop()
        if any(current is s for s in seen):
            continue
        seen.append(current)
        todo.extend(e for e in (current.__cause__, current.__context__) if e is not None)
        todo.extend(getattr(current, "exceptions", ()) or ())
    return seen
