"""Coexistence: say so when another instrumentation silences claude-otel's hooks.

Logfire's ``instrument_anthropic()`` (and any instrumentation that suppresses "other instrumentation")
marks its context so that the httpx instrumentation skips its span and therefore our hooks: claude-otel
then records nothing for those requests, silently. ``instrument()`` wraps the transports' send methods
once more, outside the httpx instrumentation: when a Messages API request goes out while HTTP
instrumentation is suppressed, it logs one warning per process (with the fix) and counts
``claude_otel_internal_errors_total{reason="hooks_suppressed"}`` per request. Cost when not suppressed:
one context lookup per request.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["SUPPRESSED_MESSAGE", "unwatch", "watch"]

logger = logging.getLogger("claude_otel")

SUPPRESSED_MESSAGE = (
    "claude_otel: Messages API requests are being sent with OpenTelemetry HTTP instrumentation "
    "suppressed, so claude-otel's hooks do not run for them (no span attributes, no metrics). "
    "Another instrumentation suppresses it. With Logfire: "
    "logfire.instrument_anthropic(suppress_other_instrumentation=False). "
    'Further ones are only counted (claude_otel_internal_errors_total{reason="hooks_suppressed"}).'
)

_warned = False
_lock = threading.Lock()
_wrapped: list[tuple[Any, str]] = []
_current: list[Callable[[Any], None]] = []  # the note function of the current instrumentation


def _warn_once() -> None:
    global _warned
    with _lock:
        first = not _warned
        _warned = True
    if first:
        logger.warning(SUPPRESSED_MESSAGE)


def _targets() -> list[tuple[Any, str]]:
    out = []
    for name in ("httpx", "httpx2"):
        try:
            module = __import__(name)
        except ImportError:
            continue
        out.append((module.HTTPTransport, "handle_request"))
        out.append((module.AsyncHTTPTransport, "handle_async_request"))
    return out


def watch(note: Callable[[Any], None]) -> None:
    """Wrap the transports (outside the httpx instrumentation's wrapper); ``note(request)`` runs for each
    request sent while HTTP instrumentation is suppressed (it decides whether the request matters)."""
    from opentelemetry.instrumentation.utils import is_http_instrumentation_enabled
    from wrapt import wrap_function_wrapper

    _current[:] = [note]
    if _wrapped:
        return

    def check(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        if not is_http_instrumentation_enabled() and _current:
            try:
                request = args[0] if args else kwargs.get("request")
                _current[0](request)
            except Exception:  # pragma: no cover - never raise into the application
                pass
        return wrapped(*args, **kwargs)  # async: the coroutine, awaited by the caller

    for owner, attr in _targets():
        wrap_function_wrapper(owner, attr, check)
        _wrapped.append((owner, attr))


def unwatch() -> None:
    """Remove the outer wrappers (before the httpx instrumentation removes its own)."""
    _current.clear()
    while _wrapped:
        owner, attr = _wrapped.pop()
        current = getattr(owner, attr, None)
        inner = getattr(current, "__wrapped__", None)
        if inner is not None:
            setattr(owner, attr, inner)


def note_for(instrumentation: Any) -> Callable[[Any], None]:
    """The note function of one Instrumentation: Messages API requests only, warn once, count each."""

    def note(request: Any) -> None:
        url = request.url
        if instrumentation.matcher.match(request.method, url.host, url.port, url.path) is None:
            return
        instrumentation._count_internal("hooks_suppressed")
        _warn_once()

    return note
