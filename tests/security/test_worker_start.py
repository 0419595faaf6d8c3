"""In-process, nothing claude-otel does on a request's path may raise into the application: when the
analysis thread cannot start (a pids or memory limit), the SDK call still succeeds, the analysis runs
inline, and the failure is counted. Through the real anthropic SDK, sync and async."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import anthropic
import prometheus_client
import pytest
from instrumentation.double import Double  # tests/instrumentation's Messages API double

import claude_otel
from claude_otel.instrumentation import hooks
from claude_otel.instrumentation.worker import AnalysisWorker

MODEL = "claude-opus-4-6"
ORPHAN = [
    {"role": "user", "content": "a"},
    {"role": "assistant", "content": [{"type": "text", "text": "b"}]},
    {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_x", "content": "c"}]},
]
TOOLS = [{"name": "lookup", "input_schema": {"type": "object"}}]


@pytest.fixture
def thread_start_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh worker whose thread cannot start (as under a pids limit); other threads start."""
    original = threading.Thread.start

    def start(self: threading.Thread) -> None:
        if self.name == "claude-otel-analysis":
            raise RuntimeError("can't start new thread")
        original(self)

    monkeypatch.setattr(threading.Thread, "start", start)
    monkeypatch.setattr(hooks, "_WORKER", AnalysisWorker())


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
def test_the_sdk_call_succeeds_when_the_analysis_thread_cannot_start(is_async: bool, thread_start_fails: Any):
    double = Double()
    registry = prometheus_client.CollectorRegistry()
    claude_otel.instrument(registry=registry, extra_base_urls=[double.base_url], analysis="overlap")
    try:
        kwargs = {"model": MODEL, "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}
        if is_async:

            async def run() -> Any:
                client = anthropic.AsyncAnthropic(api_key="k", base_url=double.base_url, max_retries=0)
                ok = await client.messages.create(**kwargs)
                with pytest.raises(anthropic.BadRequestError):
                    await client.messages.create(model=MODEL, max_tokens=16, tools=TOOLS, messages=ORPHAN)
                return ok

            message = asyncio.run(run())
        else:
            client = anthropic.Anthropic(api_key="k", base_url=double.base_url, max_retries=0)
            message = client.messages.create(**kwargs)
            with pytest.raises(anthropic.BadRequestError):
                client.messages.create(model=MODEL, max_tokens=16, tools=TOOLS, messages=ORPHAN)
        assert message.role == "assistant"
        value = registry.get_sample_value
        # analysed anyway (inline): the orphan was predicted, and the 400 confirmed it
        assert value("claude_otel_requests_total", {**_labels("ok"), "predicted": "ok"}) == 1
        assert value("claude_otel_requests_total", {**_labels("invalid_request"), "predicted": "error"}) == 1
        assert value("claude_otel_internal_errors_total", {"reason": "worker_start_failed"}) == 2
    finally:
        claude_otel.uninstrument()
        double.close()


def _labels(outcome: str) -> dict[str, str]:
    return {
        "endpoint": "messages",
        "model": "claude-opus-4-6",
        "client": "anthropic-sdk-python",
        "outcome": outcome,
    }
