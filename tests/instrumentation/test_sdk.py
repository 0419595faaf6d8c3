"""The official anthropic SDK (sync, async, streaming, tool runner) through instrument()."""

from __future__ import annotations

import asyncio
from typing import Any

import anthropic
import pytest

from .conftest import http_spans
from .double import Double

MODEL = "claude-opus-4-6"
TOOLS = [{"name": "get_weather", "description": "weather", "input_schema": {"type": "object"}}]


def sdk(double: Double, otel: Any, cls: Any = anthropic.Anthropic) -> Any:
    return cls(
        api_key="sk-ant-test-secret",
        base_url=double.base_url,
        max_retries=0,
        open_telemetry={"tracer_provider": otel.tracer_provider},
    )


def tool_loop(client: anthropic.Anthropic) -> list[Any]:
    msgs: list[dict] = [{"role": "user", "content": "weather in Paris?"}]
    first = client.messages.create(model=MODEL, max_tokens=100, tools=TOOLS, messages=msgs)
    tool_use = next(b for b in first.content if b.type == "tool_use")
    msgs += [
        {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": tool_use.id, "content": "sunny"}],
        },
    ]
    second = client.messages.create(model=MODEL, max_tokens=100, tools=TOOLS, messages=msgs)
    return [first, second]


def test_sync_tool_loop_spans_and_metrics(double: Double, instrumented: Any, otel: Any) -> None:
    first, second = tool_loop(sdk(double, otel))
    assert first.stop_reason == "tool_use" and second.stop_reason == "end_turn"

    spans = http_spans(instrumented.spans)
    assert len(spans) == 2
    for span in spans:
        a = span.attributes
        assert a["gen_ai.provider.name"] == "anthropic"
        assert a["gen_ai.operation.name"] == "chat"
        assert a["gen_ai.request.model"] == MODEL
        assert a["gen_ai.request.stream"] is False
        assert a["claude_otel.endpoint"] == "messages"
        assert a["claude_otel.client"] == "anthropic-sdk-python"
        assert a["claude_otel.retry_attempt"] == 0
        assert a["claude_otel.outcome"] == "ok"
        assert a["claude_otel.request_id"].startswith("req_")
        assert a["claude_otel.predicted"] == "ok"
        # the SDK's own call span is the parent of each HTTP attempt span
        parent = next(
            s for s in instrumented.spans.get_finished_spans() if s.context.span_id == span.parent.span_id
        )
        assert parent.instrumentation_scope.name == "com.anthropic.sdk.python"
    assert spans[1].attributes["claude_otel.request.tool_result_count"] == 1
    assert spans[1].attributes["claude_otel.request.message_count"] == 3

    m = instrumented.metrics
    assert (
        m.value(
            "claude_otel_requests_total", endpoint="messages", client="anthropic-sdk-python", outcome="ok"
        )
        == 2
    )
    assert m.value("claude_otel_response_stop_reasons_total", stop_reason="tool_use") == 1
    assert m.value("claude_otel_response_stop_reasons_total", stop_reason="end_turn") == 1
    assert m.value("claude_otel_response_tool_use_blocks_sum") == 1
    assert m.value("claude_otel_request_tool_result_blocks_sum") == 1
    assert m.value("claude_otel_internal_errors_total") == 0
    # state learned the tool_use id the API handed out
    assert instrumented.instrumentation.state.get(first.content[-1].id) is not None


def test_no_secret_or_content_anywhere(double: Double, instrumented: Any, otel: Any) -> None:
    tool_loop(sdk(double, otel))
    exported = repr([dict(s.attributes) for s in instrumented.spans.get_finished_spans()])
    exported += repr([[e.attributes for e in s.events] for s in instrumented.spans.get_finished_spans()])
    exported += repr([r.log_record.attributes for r in instrumented.logs.get_finished_logs()])
    exported += instrumented.metrics.text(openmetrics=True)
    for secret in ("sk-ant-test-secret", "weather in Paris", "sunny", "Done."):
        assert secret not in exported


def test_orphan_tool_result_400_is_classified(double: Double, instrumented: Any, otel: Any) -> None:
    client = sdk(double, otel)
    msgs = [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": [{"type": "text", "text": "ok"}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_nope", "content": "x"}]},
    ]
    with pytest.raises(anthropic.BadRequestError) as info:
        client.messages.create(model=MODEL, max_tokens=10, tools=TOOLS, messages=msgs)
    # the application still gets the API's own error body
    assert "unexpected `tool_use_id`" in info.value.message

    span = http_spans(instrumented.spans)[-1]
    assert span.attributes["claude_otel.outcome"] == "invalid_request"
    assert span.attributes["error.type"] == "invalid_request_error"
    category = span.attributes["claude_otel.error.category"]
    assert category != "unclassified"
    m = instrumented.metrics
    assert m.value("claude_otel_requests_total", outcome="invalid_request") == 1
    assert m.value("claude_otel_errors_total", category=category, status_class="4xx") == 1


def test_missing_tool_result_400_is_predicted_and_confirmed(
    double: Double, instrumented: Any, otel: Any
) -> None:
    client = sdk(double, otel)
    msgs = [
        {"role": "user", "content": "hi"},
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "toolu_a", "name": "get_weather", "input": {}}],
        },
        {"role": "user", "content": [{"type": "text", "text": "never mind"}]},
    ]
    with pytest.raises(anthropic.BadRequestError):
        client.messages.create(model=MODEL, max_tokens=10, tools=TOOLS, messages=msgs)
    span = http_spans(instrumented.spans)[-1]
    assert span.attributes["claude_otel.predicted"] == "error"
    assert span.attributes["claude_otel.prediction"] == "confirmed"
    rules = span.attributes["claude_otel.rules"]
    events = [e for e in span.events if e.name == "claude_otel.finding"]
    assert {e.attributes["claude_otel.finding.rule"] for e in events} == set(rules)
    assert any(e.attributes["claude_otel.finding.path"].startswith("messages.") for e in events)
    m = instrumented.metrics
    assert m.value("claude_otel_requests_total", predicted="error", outcome="invalid_request") == 1
    assert m.value("claude_otel_findings_total", rule=rules[0]) == 1


def test_messages_stream_counts_tool_use_and_stop_reason(
    double: Double, instrumented: Any, otel: Any
) -> None:
    client = sdk(double, otel)
    with client.messages.stream(
        model=MODEL, max_tokens=100, tools=TOOLS, messages=[{"role": "user", "content": "go"}]
    ) as stream:
        final = stream.get_final_message()
    assert final.stop_reason == "tool_use"
    m = instrumented.metrics
    assert m.value("claude_otel_streams_total", outcome="completed") == 1
    assert m.value("claude_otel_response_stop_reasons_total", stop_reason="tool_use") == 1
    assert m.value("claude_otel_response_tool_use_blocks_sum") == 1
    span = http_spans(instrumented.spans)[-1]
    assert span.attributes["gen_ai.request.stream"] is True
    # what arrived after the span ended went to a log record linked to the attempt's span
    logs = [r.log_record for r in instrumented.logs.get_finished_logs()]
    rec = next(r for r in logs if r.event_name == "claude_otel.response")
    assert rec.trace_id == span.context.trace_id and rec.span_id == span.context.span_id
    assert rec.attributes["claude_otel.stream.outcome"] == "completed"
    assert rec.attributes["gen_ai.response.id"] == final.id


def test_create_stream_true_with_mid_stream_error(double: Double, instrumented: Any, otel: Any) -> None:
    client = sdk(double, otel)
    stream = client.messages.create(
        model=MODEL,
        max_tokens=100,
        stream=True,
        messages=[{"role": "user", "content": "go"}],
        extra_headers={"x-double": "sse_error"},
    )
    with pytest.raises(anthropic.APIStatusError):
        for _ in stream:
            pass
    m = instrumented.metrics
    assert m.value("claude_otel_streams_total", outcome="error_event") == 1
    assert m.value("claude_otel_errors_total", status_class="stream", category="overloaded") == 1
    assert m.value("claude_otel_requests_total", outcome="ok") == 1  # HTTP 200, error inside the stream


def test_async_client_tool_loop(double: Double, instrumented: Any, otel: Any) -> None:
    async def run() -> list[Any]:
        client = sdk(double, otel, anthropic.AsyncAnthropic)
        msgs: list[dict] = [{"role": "user", "content": "weather?"}]
        first = await client.messages.create(model=MODEL, max_tokens=100, tools=TOOLS, messages=msgs)
        tu = first.content[-1]
        msgs += [
            {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tu.id, "content": "sun"}]},
        ]
        second = await client.messages.create(model=MODEL, max_tokens=100, tools=TOOLS, messages=msgs)
        async with client.messages.stream(
            model=MODEL, max_tokens=10, messages=[{"role": "user", "content": "x"}]
        ) as s:
            await s.get_final_message()
        await client.close()
        return [first, second]

    first, second = asyncio.run(run())
    assert second.stop_reason == "end_turn"
    m = instrumented.metrics
    assert m.value("claude_otel_requests_total", client="anthropic-sdk-python", outcome="ok") == 3
    assert m.value("claude_otel_streams_total", outcome="completed") == 1
    assert m.value("claude_otel_response_stop_reasons_total") == 3
    assert instrumented.instrumentation.state.get(first.content[-1].id) is not None


def test_beta_tool_runner(double: Double, instrumented: Any, otel: Any) -> None:
    from anthropic import beta_tool

    @beta_tool
    def get_weather(q: int = 0) -> str:
        """Weather."""
        return "sunny"

    client = sdk(double, otel)
    runner = client.beta.messages.tool_runner(
        model=MODEL, max_tokens=100, tools=[get_weather], messages=[{"role": "user", "content": "weather?"}]
    )
    final = runner.until_done()
    assert final.stop_reason == "end_turn"
    m = instrumented.metrics
    assert m.value("claude_otel_requests_total", outcome="ok") == 2
    spans = http_spans(instrumented.spans)
    assert spans[-1].attributes["claude_otel.request.tool_result_count"] == 1


def test_each_retry_is_its_own_attempt_span(double: Double, instrumented: Any, otel: Any) -> None:
    client = anthropic.Anthropic(
        api_key="k",
        base_url=double.base_url,
        max_retries=1,
        open_telemetry={"tracer_provider": otel.tracer_provider},
    )
    with pytest.raises(anthropic.APIStatusError):
        client.with_options(timeout=10).messages.create(
            model=MODEL,
            max_tokens=5,
            messages=[{"role": "user", "content": "x"}],
            extra_headers={"x-double": "overloaded"},
        )
    spans = http_spans(instrumented.spans)
    assert [s.attributes["claude_otel.retry_attempt"] for s in spans] == [0, 1]
    assert {s.attributes["claude_otel.outcome"] for s in spans} == {"overloaded"}
    assert len({s.attributes["claude_otel.request_id"] for s in spans}) == 2
    assert spans[0].parent.span_id == spans[1].parent.span_id  # one SDK call span, two attempts
    assert (
        instrumented.metrics.value("claude_otel_errors_total", category="overloaded", status_class="5xx") == 2
    )
