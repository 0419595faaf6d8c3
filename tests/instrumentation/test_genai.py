"""GenAI metrics: a tool loop through the SDK against the mock server, with instrument() and an OTel
MeterProvider; tokens, operation duration and time to first token per model on /metrics and through the
Metrics API, equal to the usage the mock returned."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import anthropic
import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from prometheus_client import CollectorRegistry

import claude_otel
from claude_otel.mock import MockConfig, MockServer

from .conftest import Scraper

TOOLS = [{"name": "get_weather", "description": "weather", "input_schema": {"type": "object"}}]
MODELS = ("claude-opus-4-6", "claude-sonnet-4-5")


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with MockServer(MockConfig(seed=7, tool_rounds=2)) as running:
        yield running


@pytest.fixture
def setup(mock: MockServer, otel: Any) -> Iterator[Any]:
    otel.log_exporter.clear()
    reader = InMemoryMetricReader()
    registry = CollectorRegistry()
    claude_otel.instrument(
        registry=registry,
        tracer_provider=otel.tracer_provider,
        logger_provider=otel.logger_provider,
        meter_provider=MeterProvider(metric_readers=[reader]),
        extra_base_urls=[mock.base_url],
    )
    scraper = Scraper(registry)
    client = anthropic.Anthropic(api_key="sk-ant-test", base_url=mock.base_url, max_retries=0)

    class Setup:
        metrics = scraper
        otel_reader = reader
        logs = otel.log_exporter
        sdk = client

    try:
        yield Setup
    finally:
        claude_otel.uninstrument()
        scraper.close()


def _call(client: anthropic.Anthropic, model: str, msgs: list[dict], stream: bool) -> Any:
    if stream:
        with client.messages.stream(model=model, max_tokens=200, tools=TOOLS, messages=msgs) as s:
            return s.get_final_message()
    return client.messages.create(model=model, max_tokens=200, tools=TOOLS, messages=msgs)


def tool_loop(client: anthropic.Anthropic, model: str, stream: bool) -> list[Any]:
    """Until the model stops calling tools; every response."""
    msgs: list[dict] = [{"role": "user", "content": "weather in Paris?"}]
    out = []
    for _ in range(6):
        msg = _call(client, model, msgs, stream)
        out.append(msg)
        if msg.stop_reason != "tool_use":
            break
        msgs.append({"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in msg.content]})
        results = [
            {"type": "tool_result", "tool_use_id": b.id, "content": "sunny"}
            for b in msg.content
            if b.type == "tool_use"
        ]
        msgs.append({"role": "user", "content": results})
    assert len(out) >= 2, "the mock called the tool at least once"
    return out


def _usage(responses: list[Any]) -> Counter[str]:
    total: Counter[str] = Counter()
    for r in responses:
        u = r.usage
        total["input"] += u.input_tokens
        total["output"] += u.output_tokens
        total["cache_read"] += u.cache_read_input_tokens or 0
        total["cache_creation"] += u.cache_creation_input_tokens or 0
    return total


def _points(reader: InMemoryMetricReader, name: str) -> list[Any]:
    data = reader.get_metrics_data()
    return [
        p
        for rm in data.resource_metrics
        for sm in rm.scope_metrics
        if sm.scope.name == "claude_otel"
        for m in sm.metrics
        if m.name == name
        for p in m.data.data_points
    ]


def test_tool_loop_tokens_duration_and_ttft_per_model(setup: Any) -> None:
    opus = tool_loop(setup.sdk, MODELS[0], stream=False)
    sonnet = tool_loop(setup.sdk, MODELS[1], stream=True)
    m = setup.metrics
    for model, responses, streamed in ((MODELS[0], opus, False), (MODELS[1], sonnet, True)):
        usage = _usage(responses)
        assert usage["input"] > 0 and usage["output"] > 0
        for kind in ("input", "output", "cache_read", "cache_creation"):
            assert m.value("claude_otel_tokens_total", model=model, token_type=kind) == usage[kind], kind
        context = usage["input"] + usage["cache_read"] + usage["cache_creation"]
        assert m.value("claude_otel_request_input_tokens_sum", model=model) == context
        assert m.value("claude_otel_request_input_tokens_count", model=model) == len(responses)
        count = m.value("claude_otel_operation_duration_seconds_count", model=model, outcome="ok")
        assert count == len(responses)
        assert m.value("claude_otel_operation_duration_seconds_sum", model=model, outcome="ok") > 0
        ttft = m.value("claude_otel_time_to_first_token_seconds_count", model=model)
        assert ttft == (len(responses) if streamed else 0)

        # the same through the OTel Metrics API, with the semantic conventions' names and attributes
        def of_model(points: list[Any], model: str = model) -> list[Any]:
            return [p for p in points if p.attributes.get("gen_ai.request.model") == model]

        tokens = of_model(_points(setup.otel_reader, "gen_ai.client.token.usage"))
        by_type = {p.attributes["gen_ai.token.type"]: p for p in tokens}
        assert by_type["input"].sum == context and by_type["input"].count == len(responses)
        assert by_type["output"].sum == usage["output"]
        for p in tokens:
            assert p.attributes["gen_ai.provider.name"] == "anthropic"
            assert p.attributes["gen_ai.operation.name"] == "chat"
            assert p.attributes["gen_ai.response.model"] == model
        durations = of_model(_points(setup.otel_reader, "gen_ai.client.operation.duration"))
        assert sum(p.count for p in durations) == len(responses)
        assert all("error.type" not in p.attributes for p in durations)
        first = of_model(_points(setup.otel_reader, "gen_ai.client.operation.time_to_first_chunk"))
        assert sum(p.count for p in first) == (len(responses) if streamed else 0)

    # usage and the response id on the response log records
    records = [r.log_record for r in setup.logs.get_finished_logs()]
    responses = [r for r in records if r.event_name == "claude_otel.response"]
    by_id = {r.attributes["gen_ai.response.id"]: r.attributes for r in responses}
    for msg in (*opus, *sonnet):
        attrs = by_id[msg.id]
        assert attrs["gen_ai.usage.output_tokens"] == msg.usage.output_tokens
        assert attrs["gen_ai.usage.input_tokens"] == (
            msg.usage.input_tokens
            + (msg.usage.cache_read_input_tokens or 0)
            + (msg.usage.cache_creation_input_tokens or 0)
        )
        assert attrs["gen_ai.response.model"] == msg.model


def test_a_400_is_timed_with_its_outcome_and_error_type(setup: Any) -> None:
    broken = [
        {"role": "user", "content": "hi"},
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {}}],
        },
        {"role": "user", "content": "and?"},
    ]
    with pytest.raises(anthropic.BadRequestError):
        setup.sdk.messages.create(model=MODELS[0], max_tokens=10, tools=TOOLS, messages=broken)
    m = setup.metrics
    count = m.value(
        "claude_otel_operation_duration_seconds_count", model=MODELS[0], outcome="invalid_request"
    )
    assert count == 1
    assert m.value("claude_otel_tokens_total") == 0
    durations = _points(setup.otel_reader, "gen_ai.client.operation.duration")
    assert [p.attributes["error.type"] for p in durations] == ["invalid_request_error"]


def test_a_mid_stream_error_times_the_duration_with_its_type_and_counts_tokens_without(setup: Any) -> None:
    """A stream that ends with ``event: error`` after message_start (usage known), then a good one: the
    first duration carries error.type, no token point does, and the good call's duration has none."""
    msgs = [{"role": "user", "content": "hi"}]
    with (
        pytest.raises(anthropic.APIStatusError),
        setup.sdk.messages.stream(
            model=MODELS[0], max_tokens=10, messages=msgs, extra_headers={"x-mock-fault": "stream_error"}
        ) as stream,
    ):
        stream.get_final_message()
    with setup.sdk.messages.stream(model=MODELS[0], max_tokens=10, messages=msgs) as stream:
        stream.get_final_message()
    m = setup.metrics
    assert m.value("claude_otel_operation_duration_seconds_count", model=MODELS[0], outcome="overloaded") == 1
    assert m.value("claude_otel_operation_duration_seconds_count", model=MODELS[0], outcome="ok") == 1
    durations = _points(setup.otel_reader, "gen_ai.client.operation.duration")
    assert sorted(str(p.attributes.get("error.type")) for p in durations) == ["None", "overloaded_error"]
    assert all(p.count == 1 for p in durations)
    tokens = _points(setup.otel_reader, "gen_ai.client.token.usage")
    assert tokens and all("error.type" not in p.attributes for p in tokens)
    assert {p.attributes["gen_ai.token.type"]: p.count for p in tokens} == {"input": 2, "output": 2}
