"""Fixtures for the instrumentation tests: test double server, OTel in-memory exporters, scraping."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import CollectorRegistry
from prometheus_client.openmetrics.parser import text_string_to_metric_families as om_parse
from prometheus_client.parser import text_string_to_metric_families

import claude_otel

from .double import Double


@pytest.fixture(scope="session")
def otel() -> Any:
    spans = InMemorySpanExporter()
    tp = TracerProvider()
    tp.add_span_processor(SimpleSpanProcessor(spans))
    logs = InMemoryLogRecordExporter()
    lp = LoggerProvider()
    lp.add_log_record_processor(SimpleLogRecordProcessor(logs))

    class Otel:
        tracer_provider = tp
        logger_provider = lp
        span_exporter = spans
        log_exporter = logs

    return Otel


@pytest.fixture
def double() -> Iterator[Double]:
    d = Double()
    yield d
    d.close()


class Scraper:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.server, self.thread = claude_otel.start_metrics_server(0, registry=registry)
        self.url = f"http://127.0.0.1:{self.server.server_port}/metrics"

    def text(self, openmetrics: bool = False) -> str:
        req = urllib.request.Request(self.url)
        if openmetrics:
            req.add_header("Accept", "application/openmetrics-text; version=1.0.0; charset=utf-8")
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.read().decode()

    def samples(self, openmetrics: bool = False) -> list[Any]:
        text = self.text(openmetrics)
        parse = om_parse if openmetrics else text_string_to_metric_families
        return [s for fam in parse(text) for s in fam.samples]

    def value(self, name: str, **labels: str) -> float:
        """Sum of the scraped samples called ``name`` whose labels include ``labels``."""
        total = 0.0
        for s in self.samples():
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                total += s.value
        return total

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def instrumented(otel: Any, double: Double) -> Iterator[Any]:
    """claude_otel.instrument() with a fresh registry; yields (instrumentation, scraper)."""
    otel.span_exporter.clear()
    otel.log_exporter.clear()
    registry = CollectorRegistry()
    inst = claude_otel.instrument(
        registry=registry,
        tracer_provider=otel.tracer_provider,
        logger_provider=otel.logger_provider,
        extra_base_urls=[double.base_url],
    )
    scraper = Scraper(registry)

    class Instrumented:
        instrumentation = inst
        metrics = scraper
        spans = otel.span_exporter
        logs = otel.log_exporter

    try:
        yield Instrumented
    finally:
        claude_otel.uninstrument()
        scraper.close()


def http_spans(exporter: InMemorySpanExporter) -> list[Any]:
    """The httpx/httpx2 CLIENT spans (the ones our hooks decorate)."""
    return [s for s in exporter.get_finished_spans() if s.instrumentation_scope.name.endswith("httpx")]
