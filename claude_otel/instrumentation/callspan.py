"""The call span: the verdict also on the GenAI span that parents the HTTP attempt.

The anthropic SDK (2.x) opens one ``anthropic.messages.create`` span per call and makes it current while it
sends; Logfire, OpenLIT and other GenAI instrumentations do the same with theirs. The httpx instrumentation
then starts the ``POST`` span as its child and calls our hooks with that span only, and many UIs fold it
away. So the tracer the httpx instrumentation gets from ``instrument()`` is wrapped: when it starts a span
as current, it notes the span that was current before (the parent). The hooks put ``claude_otel.predicted``,
``.rules``, ``.error.category`` and ``.prediction`` on that parent too, if it is recording and is a GenAI
span (one with a ``gen_ai.*`` provider/system/operation attribute): an application's own span (a web
handler around several calls) is left alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextvars import ContextVar
from typing import Any

from opentelemetry import trace

from . import attributes as A

__all__ = ["call_span_of", "put_error", "put_verdict", "with_call_spans"]

_PARENT: ContextVar[Any] = ContextVar("claude_otel_call_span", default=None)
_GENAI_KEYS = ("gen_ai.provider.name", "gen_ai.system", "gen_ai.operation.name")


class _Tracer:
    """A tracer that notes the current span before starting a span as current (everything else passes)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def start_span(self, *args: Any, **kwargs: Any) -> Any:
        return self._inner.start_span(*args, **kwargs)

    def start_as_current_span(self, name: str, context: Any = None, *args: Any, **kwargs: Any) -> _AsCurrent:
        token = _PARENT.set(trace.get_current_span(context))
        try:
            inner = self._inner.start_as_current_span(name, context, *args, **kwargs)
        except BaseException:
            _PARENT.reset(token)
            raise
        return _AsCurrent(inner, token)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class _AsCurrent:
    """The inner tracer's context manager, and the noted parent forgotten when it exits (a plain class:
    a generator-based context manager around it cost three times as much per request)."""

    __slots__ = ("_inner", "_token")

    def __init__(self, inner: Any, token: Any) -> None:
        self._inner = inner
        self._token = token

    def __enter__(self) -> Any:
        try:
            return self._inner.__enter__()
        except BaseException:
            _PARENT.reset(self._token)
            raise

    def __exit__(self, *exc: Any) -> Any:
        try:
            return self._inner.__exit__(*exc)
        finally:
            _PARENT.reset(self._token)


class _TracerProvider:
    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def get_tracer(self, *args: Any, **kwargs: Any) -> Any:
        return _Tracer(self._inner.get_tracer(*args, **kwargs))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def with_call_spans(tracer_provider: Any) -> Any:
    """The provider to hand the httpx instrumentation (``None``: the global one, followed lazily)."""
    return _TracerProvider(tracer_provider if tracer_provider is not None else trace.get_tracer_provider())


def call_span_of(span: Any) -> Any:
    """The recording GenAI span that parents ``span`` (the attempt's span), or None."""
    parent = _PARENT.get()
    if parent is None or parent is span:
        return None
    try:
        if not parent.is_recording():
            return None
        own = getattr(span, "parent", None)  # SDK spans know their parent's context: check it is this one
        if own is not None and own.span_id != parent.get_span_context().span_id:
            return None
        attrs = getattr(parent, "attributes", None) or {}
        if not any(key in attrs for key in _GENAI_KEYS):
            return None
    except Exception:
        return None
    return parent


def put_verdict(call_span: Any, predicted: str, findings: Sequence[Any]) -> None:
    attrs: dict[str, Any] = {A.PREDICTED: predicted}
    if findings:
        attrs[A.RULES] = sorted({f.rule for f in findings})
    call_span.set_attributes(attrs)


def put_error(call_span: Any, category: str, prediction: str | None) -> None:
    attrs = {A.ERROR_CATEGORY: category}
    if prediction is not None:
        attrs[A.PREDICTION] = prediction
    call_span.set_attributes(attrs)
