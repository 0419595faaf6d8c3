"""The request's `anthropic-beta` header reaches the analysis: a thinking budget at or above max_tokens is
allowed with tools only under interleaved thinking, so the same body is an error without the beta and
accepted with it."""

from __future__ import annotations

from typing import Any

import anthropic

from .conftest import http_spans
from .double import Double

FINDINGS = "claude_otel_findings_total"
MODEL = "claude-sonnet-4-5"  # needs the interleaved-thinking beta for a budget above max_tokens
TOOLS = [{"name": "get_weather", "description": "weather", "input_schema": {"type": "object"}}]
BODY: dict[str, Any] = {
    "model": MODEL,
    "max_tokens": 2048,
    "thinking": {"type": "enabled", "budget_tokens": 4096},
    "tools": TOOLS,
    "messages": [{"role": "user", "content": "weather in Paris?"}],
}


def _client(double: Double, otel: Any) -> anthropic.Anthropic:
    return anthropic.Anthropic(
        api_key="sk-ant-test-secret",
        base_url=double.base_url,
        max_retries=0,
        open_telemetry={"tracer_provider": otel.tracer_provider},
    )


def test_budget_above_max_tokens_is_an_error_without_the_interleaved_beta(
    double: Double, instrumented: Any, otel: Any
) -> None:
    _client(double, otel).messages.create(**BODY)
    (span,) = http_spans(instrumented.spans)
    assert span.attributes["claude_otel.predicted"] == "error"
    assert "thinking_budget" in span.attributes["claude_otel.rules"]
    errors = instrumented.metrics.value(FINDINGS, rule="thinking_budget", severity="error")
    assert errors == 1


def test_the_interleaved_beta_header_makes_the_same_body_acceptable(
    double: Double, instrumented: Any, otel: Any
) -> None:
    _client(double, otel).beta.messages.create(**BODY, betas=["interleaved-thinking-2025-05-14"])
    (span,) = http_spans(instrumented.spans)
    assert span.attributes["claude_otel.predicted"] != "error"
    errors = instrumented.metrics.value(FINDINGS, rule="thinking_budget", severity="error")
    assert errors == 0
