"""The verdict on the call span: the SDK's ``anthropic.messages.create`` span carries it, not only the
``POST`` child that many GenAI UIs fold away."""

from __future__ import annotations

from typing import Any

import anthropic
import pytest

from .conftest import http_spans
from .double import Double
from .test_sdk import MODEL, TOOLS, sdk

BROKEN = [
    {"role": "user", "content": "weather?"},
    {
        "role": "assistant",
        "content": [{"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {}}],
    },
    {"role": "user", "content": "and?"},
]


def _call_spans(instrumented: Any) -> list[Any]:
    return [
        s
        for s in instrumented.spans.get_finished_spans()
        if s.instrumentation_scope.name == "com.anthropic.sdk.python"
    ]


@pytest.mark.parametrize("analysis", ["inline", "overlap"])
def test_the_sdk_span_of_a_failed_request_carries_the_rule_and_the_category(
    double: Double, instrumented: Any, otel: Any, analysis: str
) -> None:
    import claude_otel

    claude_otel.instrument(
        registry=instrumented.instrumentation.config.registry,
        tracer_provider=otel.tracer_provider,
        logger_provider=otel.logger_provider,
        extra_base_urls=[double.base_url],
        analysis=analysis,
    )
    with pytest.raises(anthropic.BadRequestError):
        sdk(double, otel).messages.create(model=MODEL, max_tokens=10, tools=TOOLS, messages=BROKEN)
    (call,) = _call_spans(instrumented)
    assert call.name == "anthropic.messages.create"
    a = call.attributes
    assert a["claude_otel.predicted"] == "error"
    assert "tool_result_missing" in a["claude_otel.rules"]
    assert a["claude_otel.error.category"] == "tool_result_missing"
    assert a["claude_otel.prediction"] == "confirmed"
    (post,) = http_spans(instrumented.spans)
    assert post.parent.span_id == call.context.span_id
    assert post.attributes["claude_otel.rules"] == a["claude_otel.rules"]


def test_a_successful_call_span_says_ok_and_an_application_span_is_left_alone(
    double: Double, instrumented: Any, otel: Any
) -> None:
    tracer = otel.tracer_provider.get_tracer("app")
    with tracer.start_as_current_span("handle /chat"):
        sdk(double, otel).messages.create(
            model=MODEL, max_tokens=10, messages=[{"role": "user", "content": "hi"}]
        )
        # a plain httpx call under the application's span: no GenAI span to decorate
        import httpx2

        with httpx2.Client(base_url=double.base_url) as c:
            c.post("/v1/messages", json={"model": MODEL, "max_tokens": 5, "messages": BROKEN})
    (call,) = _call_spans(instrumented)
    assert call.attributes["claude_otel.predicted"] == "ok"
    assert "claude_otel.rules" not in call.attributes
    (app,) = [s for s in instrumented.spans.get_finished_spans() if s.name == "handle /chat"]
    assert not any(k.startswith("claude_otel.") for k in app.attributes)
