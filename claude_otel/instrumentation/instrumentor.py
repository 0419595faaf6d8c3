"""ClaudeOtelInstrumentor (the ``opentelemetry_instrumentor`` entry point), instrument(), uninstrument()."""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection
from typing import Any

from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]

from . import coexist
from .callspan import with_call_spans
from .config import Config
from .hooks import Hooks, Instrumentation

__all__ = ["ClaudeOtelInstrumentor", "instrument", "instrument_client", "uninstrument"]

logger = logging.getLogger("claude_otel")

_OTEL_ONLY = ("skip_dep_check", "raise_exception_on_conflict")


def _httpx_instrumentors() -> list[Any]:
    """The contrib instrumentors whose library is importable (httpx and/or httpx2)."""
    from opentelemetry.instrumentation import httpx as otel_httpx

    out = []
    for attr in ("HTTPXClientInstrumentor", "HTTPX2ClientInstrumentor"):
        cls = getattr(otel_httpx, attr, None)
        if cls is not None and getattr(cls, "_module", None) is not None:
            out.append(cls())
    return out


class ClaudeOtelInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """Registers claude-otel's hooks with the OpenTelemetry httpx and httpx2 instrumentors.

    If the httpx instrumentor was already switched on without our hooks (e.g. by
    ``opentelemetry-instrument`` loading it first) it is re-instrumented with them.
    """

    _current: Instrumentation | None = None

    def instrumentation_dependencies(self) -> Collection[str]:
        return ()

    def _instrument(self, **kwargs: Any) -> None:
        for key in _OTEL_ONLY:
            kwargs.pop(key, None)
        config = Config.build(kwargs)
        inst = Instrumentation(config)
        hooks = inst.hooks()
        coexist.unwatch()  # the outer wrappers go before the httpx instrumentation's
        for instrumentor in _httpx_instrumentors():
            if instrumentor.is_instrumented_by_opentelemetry:
                logger.info(
                    "claude_otel: re-instrumenting %s with claude-otel hooks", type(instrumentor).__name__
                )
                instrumentor.uninstrument()
            instrumentor.instrument(
                tracer_provider=with_call_spans(config.tracer_provider),
                meter_provider=config.meter_provider,
                request_hook=hooks.request_hook,
                response_hook=hooks.response_hook,
                async_request_hook=hooks.async_request_hook,
                async_response_hook=hooks.async_response_hook,
                skip_dep_check=True,
            )
        coexist.watch(coexist.note_for(inst))
        ClaudeOtelInstrumentor._current = inst

    def _uninstrument(self, **kwargs: Any) -> None:
        coexist.unwatch()
        for instrumentor in _httpx_instrumentors():
            if instrumentor.is_instrumented_by_opentelemetry:
                instrumentor.uninstrument()
        ClaudeOtelInstrumentor._current = None


_lock = threading.Lock()


def instrument(**config: Any) -> Instrumentation | None:
    """Instrument every httpx and httpx2 client (sync and async) of the process.

    Bad configuration raises ``ConfigError`` here, at set-up time (never later, in a request).
    Calling it again while instrumented re-instruments with the new configuration.
    """
    Config.build(config)  # validate eagerly, with a clear error
    with _lock:
        instrumentor = ClaudeOtelInstrumentor()
        if instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.uninstrument()
        instrumentor.instrument(skip_dep_check=True, **config)
        return ClaudeOtelInstrumentor._current


def uninstrument() -> None:
    """Remove the hooks (and the httpx/httpx2 OpenTelemetry instrumentation they rode on)."""
    with _lock:
        instrumentor = ClaudeOtelInstrumentor()
        if instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.uninstrument()


def instrument_client(client: Any, **config: Any) -> Hooks:
    """Instrument one ``httpx``/``httpx2`` ``Client``/``AsyncClient`` (or an ``anthropic`` client's).

    Returns the hooks (``.instrumentation`` gives access to its state and metrics).
    """
    from opentelemetry.instrumentation import httpx as otel_httpx

    http_client = getattr(client, "_client", client)  # anthropic.Anthropic / AsyncAnthropic hold one
    module_name = type(http_client).__module__.split(".")[0]
    mro_modules = {c.__module__.split(".")[0] for c in type(http_client).__mro__}
    if "httpx2" in mro_modules:
        cls = otel_httpx.HTTPX2ClientInstrumentor
    elif "httpx" in mro_modules:
        cls = otel_httpx.HTTPXClientInstrumentor
    else:
        raise TypeError(
            f"instrument_client needs an httpx/httpx2 client, got {module_name}.{type(client).__name__}"
        )
    cfg = Config.build(config)
    hooks = Instrumentation(cfg).hooks()
    is_async = hasattr(http_client, "aclose") and not hasattr(http_client, "close")
    cls.instrument_client(
        http_client,
        tracer_provider=with_call_spans(cfg.tracer_provider),
        meter_provider=cfg.meter_provider,
        request_hook=hooks.async_request_hook if is_async else hooks.request_hook,
        response_hook=hooks.async_response_hook if is_async else hooks.response_hook,
    )
    return hooks
