"""The Starlette app: /v1/messages (JSON and SSE), /v1/messages/count_tokens, /v1/models, errors."""

from __future__ import annotations

import asyncio
import logging
import random
import threading
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from .config import FAULT_KINDS, MockConfig
from .errors import ApiError, error_body
from .ids import IdFactory
from .ledger import ThinkingLedger
from .script import decide
from .sse import stream_events
from .threads import ThreadStore
from .transcript import Transcript, build
from .validate import validate

logger = logging.getLogger(__name__)

MODELS = (
    "claude-opus-4-6",
    "claude-sonnet-4-6",
    "claude-sonnet-4-5-20250929",
    "claude-haiku-4-5-20251001",
    "claude-opus-4-5-20251101",
)
RATE_LIMIT_MESSAGE = (
    "This request would exceed the rate limit for your organization of 50 requests per minute. "
    "For details, refer to: https://docs.claude.com/en/api/rate-limits."
)


class MockState:
    """Everything one app instance keeps between requests (thread-safe)."""

    def __init__(self, config: MockConfig) -> None:
        self.config = config
        self.ids = IdFactory(config.seed)
        self.ledger = ThinkingLedger(config.signing_key)
        self.threads = ThreadStore()
        self._random = random.Random(config.seed)
        self._lock = threading.Lock()
        self.stats: Counter[str] = Counter()

    def count(self, key: str) -> None:
        with self._lock:
            self.stats[key] += 1

    def draw(self, rate: float) -> bool:
        with self._lock:
            return rate > 0 and self._random.random() < rate


def _json(data: Any, status: int, request_id: str, headers: Mapping[str, str] | None = None) -> Response:
    base = {"request-id": request_id, "anthropic-organization-id": "mock-organization"}
    return Response(orjson.dumps(data), status, {**base, **(headers or {})}, media_type="application/json")


def _error(state: MockState, err: ApiError, request_id: str) -> Response:
    state.count(f"error:{err.rule or err.error_type}")
    headers = {"x-should-retry": "true" if err.status in (429, 500, 529) else "false", **err.headers}
    body = error_body(err.error_type, err.message, request_id, err.details)
    return _json(body, err.status, request_id, headers)


async def _read_json(request: Request) -> Any:
    raw = await request.body()
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, f"There was an error parsing the body of your request: {exc}") from exc


def _fault(state: MockState, request: Request) -> str | None:
    forced = request.headers.get("x-mock-fault")
    if forced:
        if forced not in FAULT_KINDS:
            raise ApiError(400, f"x-mock-fault must be one of {', '.join(FAULT_KINDS)}")
        return forced
    config = state.config
    for kind, rate in (
        ("rate_limit", config.rate_limit_rate),
        ("overloaded", config.overloaded_rate),
        ("stream_error", config.stream_error_rate),
    ):
        if state.draw(rate):
            return kind
    return None


def _betas(request: Request) -> list[str]:
    return [b.strip() for b in request.headers.get("anthropic-beta", "").split(",") if b.strip()]


def _usage(body_bytes: int, content: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "input_tokens": max(1, body_bytes // 4),
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "output_tokens": max(1, len(orjson.dumps(content)) // 4),
        "service_tier": "standard",
    }


def _count_shape(state: MockState, request: Request, transcript: Transcript) -> None:
    if request.query_params.get("beta") == "true":
        state.count("beta_requests")
    if transcript.system_messages:
        state.count("system_role_requests")
    last = transcript.last
    if last is None or last.role != "user":
        return
    for block in last.of_type("tool_result"):
        state.count("tool_results")
        if block.data.get("is_error") is True:
            state.count("tool_result_errors")


async def _aiter(events: Iterator[bytes]) -> AsyncIterator[bytes]:
    """The events from the event loop (a sync iterator would cost a thread-pool hop per event)."""
    for chunk in events:
        yield chunk


async def messages(request: Request) -> Response:
    state: MockState = request.app.state.mock
    request_id = state.ids.request()
    state.count("requests")
    try:
        return await _messages(state, request, request_id)
    except ApiError as err:
        return _error(state, err, request_id)
    except Exception:  # a bug in the mock must look like the API's 500, not a dropped connection
        logger.exception("mock: answering a request failed unexpectedly")
        return _error(state, ApiError(500, "Internal server error"), request_id)


async def _messages(state: MockState, request: Request, request_id: str) -> Response:
    body = await _read_json(request)
    if not isinstance(body, dict):
        raise ApiError(400, "Input should be a valid dictionary", "invalid_request_other")
    fault = _fault(state, request)
    if fault == "rate_limit":
        retry = str(state.config.retry_after_seconds)
        raise ApiError(429, RATE_LIMIT_MESSAGE, "rate_limit", {"retry-after": retry})
    if fault == "overloaded":
        raise ApiError(529, "Overloaded", "overloaded")
    betas = _betas(request)
    expanded = state.threads.expand(body, betas)
    if expanded is not None:
        state.count("thread_requests")
        body = expanded.body
    if state.config.enforce:
        transcript = validate(body, state.ledger, betas)
    else:
        transcript = build(body.get("messages") or [])
    _count_shape(state, request, transcript)
    message_id = state.ids.message()
    reply = decide(body, transcript, state.config, state.ids, state.ledger, message_id)
    if expanded is not None:
        state.threads.hold(expanded, message_id, reply.content)
    state.count(f"stop_reason:{reply.stop_reason}")
    model = body.get("model") if isinstance(body.get("model"), str) else state.config.model_fallback
    message: dict[str, Any] = {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": reply.content,
        "stop_reason": reply.stop_reason,
        "stop_sequence": None,
        "usage": _usage(len(orjson.dumps(body)), reply.content),
    }
    if reply.container is not None:
        message["container"] = reply.container
    if state.config.slow_first_byte_seconds:
        await asyncio.sleep(state.config.slow_first_byte_seconds)
    if not body.get("stream"):
        return _json(message, 200, request_id)
    state.count("stream_requests")
    stream_error = None
    if fault == "stream_error":
        state.count("error:stream_error")
        stream_error = error_body("overloaded_error", "Overloaded", request_id)
    headers = {
        "request-id": request_id,
        "cache-control": "no-cache",
        "anthropic-organization-id": "mock-organization",
    }
    return StreamingResponse(
        _aiter(stream_events(message, stream_error)), media_type="text/event-stream", headers=headers
    )


async def count_tokens(request: Request) -> Response:
    state: MockState = request.app.state.mock
    request_id = state.ids.request()
    try:
        body = await _read_json(request)
        if state.config.enforce:
            validate(body, state.ledger, _betas(request), count_tokens=True)
        elif not isinstance(body, Mapping):
            raise ApiError(400, "Input should be a valid dictionary", "invalid_request_other")
    except ApiError as err:
        return _error(state, err, request_id)
    except Exception:
        logger.exception("mock: count_tokens validation failed unexpectedly")
        return _error(state, ApiError(500, "Internal server error"), request_id)
    return _json({"input_tokens": max(1, len(orjson.dumps(body)) // 4)}, 200, request_id)


async def models(request: Request) -> Response:
    state: MockState = request.app.state.mock
    data = [
        {"type": "model", "id": m, "display_name": m, "created_at": "2025-01-01T00:00:00Z"} for m in MODELS
    ]
    page = {"data": data, "has_more": False, "first_id": MODELS[0], "last_id": MODELS[-1]}
    return _json(page, 200, state.ids.request())


async def not_found(request: Request) -> Response:
    state: MockState = request.app.state.mock
    state.count("not_found")
    err = ApiError(404, f"Not found: {request.method} {request.url.path}")
    return _error(state, err, state.ids.request())


def create_app(config: MockConfig | None = None) -> Starlette:
    """The mock Messages API as a Starlette app; ``app.state.mock.stats`` counts what it answered."""
    config = config or MockConfig()
    if not isinstance(config, MockConfig):
        raise TypeError(f"create_app expects a MockConfig, got {type(config).__name__}")
    routes = [
        Route("/v1/messages", messages, methods=["POST"]),
        Route("/v1/messages/count_tokens", count_tokens, methods=["POST"]),
        Route("/v1/models", models, methods=["GET"]),
        Route("/{path:path}", not_found, methods=["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH"]),
    ]
    app = Starlette(routes=routes)
    app.state.mock = MockState(config)
    return app
