"""The proxy's own answers on the request metrics: a request the proxy answered itself (the upstream could
not be reached, timed out, or the proxy refused the request) is one sample of ``claude_otel_requests_total``
and ``claude_otel_errors_total``, as a request the upstream answered is, so an upstream outage shows on the
dashboards and fires its alert.

The ``outcome`` values (docs: README, Metrics) are a fixed set, see ``PROXY_OUTCOMES``; ``predicted`` is
``skipped`` (no API answered, so no prediction can be confirmed or refuted), ``category`` is one of the
error categories of ``claude_otel.core.classify``. Only Messages API endpoints are counted (as the hooks
do), and nothing here raises.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

from claude_otel.core import normalize_model
from claude_otel.core.client_label import client_label

__all__ = ["PROXY_OUTCOMES", "ProxyAccounting", "endpoint_of"]

log = logging.getLogger("claude_otel.proxy")

# reason (the x-claude-otel-proxy header) -> (outcome, error category)
PROXY_OUTCOMES: Mapping[str, tuple[str, str]] = {
    "upstream_connect": ("upstream_unreachable", "connection"),
    "upstream_error": ("upstream_unreachable", "connection"),
    "upstream_timeout": ("upstream_timeout", "timeout"),
    "request_too_large": ("proxy_refused", "request_too_large"),
    "header_too_large": ("proxy_refused", "request_too_large"),
    "overloaded": ("proxy_refused", "overloaded"),
    "proxy_error": ("proxy_error", "server_error"),
}


class _Model(msgspec.Struct):
    model: Any = None


_decode_model = msgspec.json.Decoder(_Model).decode


def endpoint_of(method: str, path: str) -> str | None:
    """``messages`` / ``count_tokens`` for the Messages API's POST endpoints, else None."""
    if method != "POST":
        return None
    path = path.rstrip("/")
    if path == "/v1/messages":
        return "messages"
    if path == "/v1/messages/count_tokens":
        return "count_tokens"
    return None


def _user_agent(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name == b"user-agent":
            return value[:512].decode("latin-1")
    return None


class ProxyAccounting:
    """Counts the proxy's own answers on ``registry`` (the one its hooks write to)."""

    def __init__(self, registry: Any) -> None:
        from claude_otel.instrumentation.metrics import get_metrics

        self.metrics = get_metrics(registry)

    def count(self, scope: Mapping[str, Any], reason: str, body: bytes | None = None) -> None:
        try:
            self._count(scope, reason, body)
        except Exception as exc:  # a metric must never break an answer
            log.debug("claude-otel proxy: could not count an answer: %s", type(exc).__name__)

    def _count(self, scope: Mapping[str, Any], reason: str, body: bytes | None) -> None:
        labels = PROXY_OUTCOMES.get(reason)
        if labels is None:
            return
        endpoint = endpoint_of(scope.get("method", ""), scope.get("path", ""))
        if endpoint is None:
            return
        outcome, category = labels
        model = None
        if body:
            with contextlib.suppress(msgspec.DecodeError, msgspec.ValidationError):
                value = _decode_model(body).model
                model = value if isinstance(value, str) else None
        client = client_label(_user_agent(scope.get("headers") or ()))
        m = self.metrics
        m.child(m.requests, (endpoint, normalize_model(model), client, "skipped", outcome)).inc()
        status_class = "4xx" if category == "request_too_large" else "5xx"
        m.child(m.errors, (category, "skipped", status_class)).inc()
