"""The opt-in repair in flight (``repair=True``, ``CLAUDE_OTEL_REPAIR=1``, ``claude-otel proxy --repair``):
the edge between the hooks and ``repair_request``.

Called by the request hook with the body about to be sent (a replayable httpx ``ByteStream``): when the
analysis predicts an error that only fixable rules cause and the repaired body is predicted ok, the stream
is pointed at the repaired bytes and ``content-length`` updated, before the transport sends anything. Each
repair is counted on ``claude_otel_repairs_total{rule}`` (rule from ``FIXABLE_RULES``), put on the span
(``claude_otel.repaired``: the rules) and, by the response hook, on the response as the header
``x-claude-otel-repaired: <rules>``. Anything unexpected leaves the request as it was.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from ..core import Analysis, analyze
from .request import repair_request

HEADER = "x-claude-otel-repaired"
SPAN_ATTRIBUTE = "claude_otel.repaired"
_REPAIRED: ContextVar[str | None] = ContextVar("claude_otel_repaired", default=None)


def repair_outgoing(
    request: Any,
    raw: bytes,
    *,
    provider: str,
    betas: str | None,
    module: Any,
    metrics: Any,
    span: Any,
    max_bytes: int | None = None,
    conversation: str | None = None,
) -> tuple[bytes, Analysis | None]:
    """(the body that will be sent: ``raw``, or the repaired bytes now in the request's stream; the
    analysis of that body when it is ``raw`` unchanged, for the caller to use rather than analyse the
    same bytes again, else None). A body over ``max_bytes`` is not analysed, so not repaired.
    ``conversation``: as for ``analyze``."""
    _REPAIRED.set(None)
    stream = request.stream
    if (
        module is None
        or not isinstance(stream, module.ByteStream)
        or getattr(stream, "_stream", None) is not raw
    ):
        return raw, None
    analysis = analyze(raw, provider=provider, betas=betas, max_bytes=max_bytes, conversation=conversation)
    fixed = repair_request(raw, analysis, provider=provider, betas=betas)
    if fixed is None:
        return raw, analysis
    request.headers["content-length"] = str(len(fixed.body))
    stream._stream = fixed.body  # what ByteStream yields to the transport
    for rule in fixed.rules:
        metrics.child(metrics.repairs, (rule,)).inc()
    if span.is_recording():
        span.set_attribute(SPAN_ATTRIBUTE, list(fixed.rules))
    _REPAIRED.set(fixed.header_value)
    return fixed.body, None


def mark_response(response: Any) -> None:
    """Put ``x-claude-otel-repaired`` on the response of a repaired request (same context as its request)."""
    rules = _REPAIRED.get()
    if rules:
        _REPAIRED.set(None)
        headers = getattr(response, "headers", None)
        if headers is not None:
            headers[HEADER] = rules
