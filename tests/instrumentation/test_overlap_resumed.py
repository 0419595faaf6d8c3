"""analysis="overlap": a request that continues its conversation's last one is analysed on the request's
own thread (walking its new turns costs less than the hand-off to the worker), the others on the worker.

Through real HTTP (httpx2 against the test double on 127.0.0.1): the steady state of a Claude Code-shaped
session. The telemetry is the same as in "inline" mode, request by request."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import prometheus_client
import pytest

import claude_otel
from claude_otel.core import clear_caches, conversations
from claude_otel.instrumentation import hooks

from .conftest import http_spans
from .double import Double

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
import claude_code_bodies as cc  # noqa: E402

sys.path.remove(str(ROOT / "benchmarks"))

HEADERS = {"x-api-key": "sk-ant-resumed-secret", "anthropic-version": "2023-06-01"}


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    clear_caches()
    yield
    clear_caches()


def session(
    mode: str,
    otel: Any,
    requests: list[bytes],
    monkeypatch: pytest.MonkeyPatch,
    extra_headers: list[dict[str, str]] | None = None,
) -> tuple[list, list]:
    """Send the requests in order (each with its `extra_headers`, if given); per request, how its
    analysis ran ("job": handed to the worker, else the name of the thread that ran it on the spot), and
    our span attributes."""
    clear_caches()
    otel.span_exporter.clear()
    threads: list[str] = []
    real, real_job = hooks.analyze, hooks.Job

    def spy(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread().name)
        return real(*args, **kwargs)

    def job(fn: Any) -> Any:
        threads.append("job")  # (the worker, or the response if the worker has not got to it yet)
        return real_job(fn)

    monkeypatch.setattr(hooks, "analyze", spy)
    monkeypatch.setattr(hooks, "Job", job)
    double = Double()
    try:
        claude_otel.instrument(
            registry=prometheus_client.CollectorRegistry(),
            tracer_provider=otel.tracer_provider,
            extra_base_urls=[double.base_url],
            analysis=mode,
        )
        try:
            with httpx2.Client(base_url=double.base_url) as c:
                for k, raw in enumerate(requests):
                    headers = {**HEADERS, **(extra_headers[k] if extra_headers else {})}
                    with c.stream("POST", "/v1/messages", content=raw, headers=headers) as r:
                        r.read()
        finally:
            claude_otel.uninstrument()
    finally:
        double.close()
        monkeypatch.setattr(hooks, "analyze", real)
        monkeypatch.setattr(hooks, "Job", real_job)
    attrs = [
        {
            k: v
            for k, v in s.attributes.items()
            if k.startswith("claude_otel.") and k != "claude_otel.request_id"
        }
        for s in http_spans(otel.span_exporter)
    ]
    return threads, attrs


def test_a_continued_conversation_is_analysed_inline_with_the_same_telemetry(
    otel: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    requests = list(cc.steps(8, result_chars=2500))
    assert len(requests[0]) >= conversations.MIN_BYTES
    inline_threads, inline_attrs = session("inline", otel, requests, monkeypatch)
    threads, attrs = session("overlap", otel, requests, monkeypatch)
    main = threading.current_thread().name
    assert inline_threads == [main] * len(requests)
    # the first request is noted, the second checkpointed (both handed to the worker); the rest resume,
    # on the request's own thread, before it is sent
    assert threads[0] == threads[2] == "job"
    assert threads[4:] == [main] * (len(requests) - 2)
    assert conversations.MEMORY.resumed == len(requests) - 2
    assert len(attrs) == len(requests)
    assert attrs == inline_attrs
    assert {a["claude_otel.predicted"] for a in attrs} == {"ok"}


def test_a_request_that_does_not_continue_goes_to_the_worker(
    otel: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    requests = list(cc.steps(6, result_chars=2500))
    # the fourth request edited deep in its history (one byte of an early tool result): not resumable
    at = requests[3].index(b" the ", 4096)
    edited = requests[3][:at] + b" thE " + requests[3][at + 5 :]
    threads, attrs = session("overlap", otel, [*requests[:3], edited], monkeypatch)
    assert threads[0] == threads[2] == "job"
    assert threads[4] == threading.current_thread().name  # the third: resumed, on the spot
    assert threads[5] == "job"  # the fourth
    assert len(attrs) == 4


def test_claude_code_sessions_that_open_alike_resume_by_their_session_header(
    otel: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two Claude Code sessions of one prompt in one checkout (the same first KB), their requests
    interleaved: by the x-claude-code-session-id each sends, each request resumes from its own session's
    last one, on the spot; without the header they would take each other's place and none would."""
    ra, rb = cc.twin_steps(6, result_chars=2500)
    requests = [r for pair in zip(ra, rb, strict=True) for r in pair]
    ids = [{"x-claude-code-session-id": f"session-{'ab'[k % 2]}"} for k in range(len(requests))]
    threads, attrs = session("overlap", otel, requests, monkeypatch, ids)
    assert conversations.MEMORY.resumed == len(requests) - 4
    assert threads[-4:] == [threading.current_thread().name] * 4  # resumed: on the spot
    assert {a["claude_otel.predicted"] for a in attrs} == {"ok"}
    threads, _ = session("overlap", otel, requests, monkeypatch)  # no header: the first KB alone
    assert conversations.MEMORY.resumed == 0
