"""The proxy's telemetry edges: its Prometheus registry and metrics page, OTLP trace export from the
standard ``OTEL_EXPORTER_OTLP_*`` variables, and attaching claude-otel's instrumentation to the upstream
client. Everything here degrades to a clear one-line notice instead of failing the proxy."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

OTLP_ENV = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
DEFAULT_SERVICE_NAME = "claude-otel-proxy"


def metrics_renderer(registry: CollectorRegistry) -> Callable[[], tuple[bytes, str]]:
    """A zero-argument callable returning (exposition bytes, content type) for ``registry``."""

    def render() -> tuple[bytes, str]:
        return generate_latest(registry), CONTENT_TYPE_LATEST

    return render


@dataclass
class OtlpSetup:
    tracer_provider: Any | None  # an opentelemetry.sdk.trace.TracerProvider, or None
    notice: str  # one line for the operator; "" when OTLP is not asked for

    def shutdown(self) -> None:
        if self.tracer_provider is not None:
            self.tracer_provider.shutdown()


def otlp_from_env(environ: Mapping[str, str] | None = None) -> OtlpSetup:
    """A TracerProvider exporting over OTLP/HTTP when an ``OTEL_EXPORTER_OTLP_*ENDPOINT`` variable is set
    (the exporter reads the rest of the standard variables itself: headers, timeout, protocol paths)."""
    env = os.environ if environ is None else environ
    if not any(env.get(name) for name in OTLP_ENV):
        return OtlpSetup(None, "")
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return OtlpSetup(None, "OTLP export off: OTEL_SDK_DISABLED=true")
    if env.get("OTEL_TRACES_EXPORTER", "otlp").strip().lower() in ("none", ""):
        return OtlpSetup(None, "OTLP export off: OTEL_TRACES_EXPORTER=none")
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    except ImportError:
        return OtlpSetup(
            None,
            "OTLP export OFF: OTEL_EXPORTER_OTLP_* is set but opentelemetry-exporter-otlp-proto-http is not "
            "installed (pip install 'claude-otel[otlp]'); metrics still served, traces not exported",
        )
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    attributes = {} if env.get("OTEL_SERVICE_NAME") else {"service.name": DEFAULT_SERVICE_NAME}
    provider = TracerProvider(resource=Resource.create(attributes))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    target = env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    notice = f"OTLP trace export on (http/protobuf): {target}"
    protocol = env.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or env.get("OTEL_EXPORTER_OTLP_PROTOCOL") or ""
    if protocol.strip().lower() not in ("", "http/protobuf"):
        notice += f" (OTEL_EXPORTER_OTLP_PROTOCOL={protocol} is not supported: using http/protobuf)"
    return OtlpSetup(provider, notice)


@dataclass
class InstrumentResult:
    active: bool
    guard_errors: tuple[type[BaseException], ...] = ()
    notice: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def instrument_upstream_client(
    client: httpx.AsyncClient,
    *,
    upstream: str,
    registry: CollectorRegistry,
    guard: bool = False,
    tracer_provider: Any | None = None,
    **config: Any,
) -> InstrumentResult:
    """Attach claude-otel's hooks (docs/interfaces.md §2) to ``client``; the upstream is declared as an
    extra base URL so a non-default upstream (a gateway, the mock server) is analysed too."""
    try:
        import claude_otel

        instrument_client = claude_otel.instrument_client
        guard_error = claude_otel.GuardError
    except (ImportError, AttributeError) as exc:
        notice = (
            f"claude-otel instrumentation unavailable ({type(exc).__name__}); forwarding without analysis"
        )
        if guard:
            notice += "; --guard has no effect"
        return InstrumentResult(False, (), notice)
    kwargs: dict[str, Any] = {
        "guard": guard,
        "registry": registry,
        "use_global_registry": False,
        "extra_base_urls": [upstream],
        **config,
    }
    if tracer_provider is not None:
        kwargs["tracer_provider"] = tracer_provider
    try:
        instrument_client(client, **kwargs)
    except Exception as exc:  # never take the proxy down: forward unobserved and say so
        return InstrumentResult(False, (), f"claude-otel instrumentation failed to attach ({exc!r})")
    return InstrumentResult(True, (guard_error,), "")
