"""Run by the tests of this folder, one case per process (the peers set global providers): the SDK through
a peer GenAI instrumentation next to claude_otel.instrument(), against the mock server. Two successful
calls, then one that the API refuses (a tool_use without its tool_result). Prints what a user gets as JSON.

argv[1]: "logfire-default" (Logfire's default, suppress_other_instrumentation=True), "logfire-no-suppress",
or "openllmetry" (opentelemetry-instrumentation-anthropic).
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys

import anthropic
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import CollectorRegistry

import claude_otel
from claude_otel.mock import MockConfig, MockServer

BROKEN = [
    {"role": "user", "content": "weather?"},
    {
        "role": "assistant",
        "content": [{"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {}}],
    },
    {"role": "user", "content": "and?"},
]
TOOLS = [{"name": "get_weather", "description": "weather", "input_schema": {"type": "object"}}]


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def setup_peer(mode: str, spans: InMemorySpanExporter) -> None:
    """Global providers for the peer: the setup its documentation gives."""
    if mode.startswith("logfire"):
        import logfire

        logfire.configure(
            send_to_logfire=False, console=False, additional_span_processors=[SimpleSpanProcessor(spans)]
        )
        return
    from opentelemetry import trace
    from opentelemetry.instrumentation.anthropic import AnthropicInstrumentor
    from opentelemetry.sdk.trace import TracerProvider

    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    trace.set_tracer_provider(provider)
    AnthropicInstrumentor().instrument()


def instrument_client(mode: str, client: anthropic.Anthropic) -> None:
    if mode == "logfire-default":
        import logfire

        logfire.instrument_anthropic(client)
    elif mode == "logfire-no-suppress":
        import logfire

        logfire.instrument_anthropic(client, suppress_other_instrumentation=False)


def main() -> int:
    mode = sys.argv[1]
    warnings = Collect()
    logging.getLogger("claude_otel").addHandler(warnings)
    spans = InMemorySpanExporter()
    setup_peer(mode, spans)
    registry = CollectorRegistry()
    with MockServer(MockConfig(seed=7)) as mock:
        claude_otel.instrument(registry=registry, extra_base_urls=[mock.base_url], analysis="inline")
        client = anthropic.Anthropic(api_key="sk-ant-test", base_url=mock.base_url, max_retries=0)
        instrument_client(mode, client)
        for _ in range(2):
            client.messages.create(
                model="claude-sonnet-4-5", max_tokens=20, messages=[{"role": "user", "content": "hi"}]
            )
        with contextlib.suppress(anthropic.BadRequestError):
            client.messages.create(model="claude-sonnet-4-5", max_tokens=20, tools=TOOLS, messages=BROKEN)
    values = {
        (s.name, tuple(sorted(s.labels.items()))): s.value for fam in registry.collect() for s in fam.samples
    }

    def total(name: str, **labels: str) -> float:
        return sum(
            v for (n, lab), v in values.items() if n == name and all((k, x) in lab for k, x in labels.items())
        )

    finished = spans.get_finished_spans()
    print(
        json.dumps(
            {
                "requests": total("claude_otel_requests_total"),
                "tool_result_missing": total("claude_otel_errors_total", category="tool_result_missing"),
                "suppressed": total("claude_otel_internal_errors_total", reason="hooks_suppressed"),
                "warnings": [m for m in warnings.messages if "suppress" in m],
                "categories_by_scope": sorted(
                    {
                        (
                            s.instrumentation_scope.name,
                            s.name,
                            str((s.attributes or {}).get("claude_otel.error.category")),
                        )
                        for s in finished
                    }
                ),
                # per span: scope, name, trace id, parent span id (None for a root)
                "spans": [
                    [
                        s.instrumentation_scope.name,
                        s.name,
                        format(s.context.trace_id, "032x"),
                        format(s.parent.span_id, "016x") if s.parent else None,
                        format(s.context.span_id, "016x"),
                    ]
                    for s in finished
                ],
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
