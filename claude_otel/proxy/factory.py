"""Assemble a ready proxy: upstream client, claude-otel instrumentation, registry, metrics page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry

from claude_otel.proxy.accounting import ProxyAccounting
from claude_otel.proxy.app import ProxyApp, ProxyConfig, make_upstream_client
from claude_otel.proxy.telemetry import InstrumentResult, instrument_upstream_client, metrics_renderer


@dataclass
class Proxy:
    app: ProxyApp
    registry: CollectorRegistry
    instrumentation: InstrumentResult


def create_proxy(
    config: ProxyConfig,
    *,
    registry: CollectorRegistry | None = None,
    tracer_provider: Any | None = None,
    instrument: bool = True,
    **instrument_config: Any,
) -> Proxy:
    """A proxy whose upstream client carries claude-otel's hooks (when ``instrument``), its own Prometheus
    registry (served at ``config.metrics_path``) and, if given, ``tracer_provider`` for its spans."""
    registry = registry if registry is not None else CollectorRegistry()
    client = make_upstream_client(config)
    if instrument:
        result = instrument_upstream_client(
            client,
            upstream=config.upstream,
            registry=registry,
            guard=config.guard,
            repair=config.repair,
            tracer_provider=tracer_provider,
            **instrument_config,
        )
    else:
        result = InstrumentResult(False, (), "instrumentation off")
    app = ProxyApp(
        config,
        client,
        metrics=metrics_renderer(registry),
        guard_errors=result.guard_errors,
        accounting=ProxyAccounting(registry),
    )
    return Proxy(app, registry, result)
