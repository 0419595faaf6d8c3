"""Cross-turn state (container, thread, thinking) and the guard, end to end and pure."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import httpx
import httpx2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import claude_otel
from claude_otel.core.continuity import ResponseRecord, check_continuity, record_from_message
from claude_otel.core.sse import SSEParser

from .conftest import http_spans
from .double import Double, sse_events

MODEL = "claude-opus-4-6"
TOOLS = [{"name": "lookup", "input_schema": {"type": "object"}}]


def client(double: Double, otel: Any, **kw: Any) -> anthropic.Anthropic:
    return anthropic.Anthropic(
        api_key="k",
        base_url=double.base_url,
        max_retries=0,
        open_telemetry={"tracer_provider": otel.tracer_provider},
        **kw,
    )


def continuation(first: Any, result_id: str | None = None) -> list[dict]:
    tool = next(b for b in first.content if b.type == "tool_use")
    return [
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": result_id or tool.id, "content": "r"}],
        },
    ]


def finding_rules(span: Any) -> list[str]:
    return [e.attributes["claude_otel.finding.rule"] for e in span.events if e.name == "claude_otel.finding"]


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_container_dropped_on_continuation(
    stream: bool, double: Double, instrumented: Any, otel: Any
) -> None:
    c = client(double, otel, default_headers={"x-double-container": "1"})
    first_kw = dict(model=MODEL, max_tokens=50, tools=TOOLS, messages=[{"role": "user", "content": "go"}])
    if stream:
        with c.messages.stream(**first_kw) as s:
            first = s.get_final_message()
    else:
        first = c.messages.create(**first_kw)
    msgs = continuation(first)
    c.messages.create(model=MODEL, max_tokens=50, tools=TOOLS, messages=msgs)  # no container: finding
    c.messages.create(
        model=MODEL, max_tokens=50, tools=TOOLS, messages=msgs, extra_body={"container": "container_other"}
    )
    c.messages.create(
        model=MODEL, max_tokens=50, tools=TOOLS, messages=msgs, extra_body={"container": "container_011CABC"}
    )
    spans = http_spans(instrumented.spans)
    assert "container_required" in finding_rules(spans[1])
    assert "container_mismatch" in finding_rules(spans[2])
    assert not {"container_required", "container_mismatch"} & set(finding_rules(spans[3]))
    assert instrumented.metrics.value("claude_otel_findings_total", rule="container_required") == 1
    event = next(
        e for e in spans[1].events if e.attributes["claude_otel.finding.rule"] == "container_required"
    )
    assert event.attributes["claude_otel.finding.path"] == "container"


def test_thread_results_mismatch_is_predicted(double: Double, instrumented: Any, otel: Any) -> None:
    c = client(double, otel)
    first = c.messages.create(
        model=MODEL, max_tokens=50, tools=TOOLS, messages=[{"role": "user", "content": "go"}]
    )
    bad = [
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_wrong", "content": "r"}]}
    ]
    thread = {"type": "continue", "previous_message_id": first.id}
    with pytest.raises(anthropic.BadRequestError):
        c.messages.create(
            model=MODEL, max_tokens=50, tools=TOOLS, messages=bad, extra_body={"thread": thread}
        )
    span = http_spans(instrumented.spans)[-1]
    assert "thread_results_mismatch" in finding_rules(span)
    assert span.attributes["claude_otel.predicted"] == "error"
    m = instrumented.metrics
    assert m.value("claude_otel_requests_total", predicted="error", outcome="invalid_request") == 1


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_thinking_modified(stream: bool, double: Double, instrumented: Any, otel: Any) -> None:
    c = client(double, otel, default_headers={"x-double-thinking": "1"})
    kw = dict(model=MODEL, max_tokens=50, tools=TOOLS, messages=[{"role": "user", "content": "go"}])
    if stream:
        with c.messages.stream(**kw) as s:
            first = s.get_final_message()
    else:
        first = c.messages.create(**kw)
    msgs = continuation(first)
    c.messages.create(model=MODEL, max_tokens=50, tools=TOOLS, messages=msgs)  # unchanged: fine
    msgs[1]["content"][0]["thinking"] = "edited"
    c.messages.create(model=MODEL, max_tokens=50, tools=TOOLS, messages=msgs)
    spans = http_spans(instrumented.spans)
    assert "thinking_modified" not in finding_rules(spans[1])
    assert "thinking_modified" in finding_rules(spans[2])
    event = next(
        e for e in spans[2].events if e.attributes["claude_otel.finding.rule"] == "thinking_modified"
    )
    assert event.attributes["claude_otel.finding.path"] == "messages.1.content.0"


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_thinking_modified_in_a_turn_without_tool_use(
    stream: bool, double: Double, instrumented: Any, otel: Any
) -> None:
    """A resumed Claude Code session's latest assistant turn is [thinking, text]: no tool_use id to find
    the response by, so it is found by its thinking signature."""
    c = client(double, otel, default_headers={"x-double-thinking": "1"})
    kw = dict(model=MODEL, max_tokens=50, messages=[{"role": "user", "content": "go"}])
    if stream:
        with c.messages.stream(**kw) as s:
            first = s.get_final_message()
    else:
        first = c.messages.create(**kw)
    assert [b.type for b in first.content] == ["thinking", "text"]
    msgs = [
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
        {"role": "user", "content": "and now?"},
    ]
    c.messages.create(model=MODEL, max_tokens=50, messages=msgs)  # unchanged: fine
    msgs[1]["content"][0]["thinking"] = "edited"
    c.messages.create(model=MODEL, max_tokens=50, messages=msgs)
    spans = http_spans(instrumented.spans)
    assert "thinking_modified" not in finding_rules(spans[1])
    assert "thinking_modified" in finding_rules(spans[2])


def test_guard_raises_before_any_byte_is_sent_sdk(double: Double, otel: Any) -> None:
    import prometheus_client

    reg = prometheus_client.CollectorRegistry()
    claude_otel.instrument(
        registry=reg, tracer_provider=otel.tracer_provider, extra_base_urls=[double.base_url], guard=True
    )
    try:
        c = client(double, otel)
        first = c.messages.create(
            model=MODEL, max_tokens=50, tools=TOOLS, messages=[{"role": "user", "content": "go"}]
        )
        sent_before = len(double.requests)
        msgs = continuation(first)
        msgs[2]["content"] = [{"type": "text", "text": "forgot the result"}]
        with pytest.raises(claude_otel.GuardError) as info:
            c.messages.create(model=MODEL, max_tokens=50, tools=TOOLS, messages=msgs)
        assert len(double.requests) == sent_before  # nothing reached the server
        err = info.value
        assert err.rule and err.path.startswith("messages.") and err.fix
        assert err.rule in str(err) and err.path in str(err)
        # a valid request still goes through with the guard on
        c.messages.create(model=MODEL, max_tokens=50, tools=TOOLS, messages=continuation(first))
        assert len(double.requests) == sent_before + 1
    finally:
        claude_otel.uninstrument()


@pytest.mark.parametrize("module", [httpx, httpx2], ids=["httpx", "httpx2"])
def test_guard_plain_clients_sync_and_async(module: Any, double: Double) -> None:
    import asyncio

    import prometheus_client

    claude_otel.instrument(
        registry=prometheus_client.CollectorRegistry(), extra_base_urls=[double.base_url], guard=True
    )
    bad = json.dumps(
        {
            "model": MODEL,
            "max_tokens": 5,
            "messages": [
                {"role": "user", "content": "a"},
                {
                    "role": "assistant",
                    "content": [{"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {}}],
                },
                {"role": "user", "content": "no result"},
            ],
        }
    ).encode()
    try:
        with module.Client(base_url=double.base_url) as c, pytest.raises(claude_otel.GuardError):
            c.post("/v1/messages", content=bad)

        async def run() -> None:
            async with module.AsyncClient(base_url=double.base_url) as ac:
                with pytest.raises(claude_otel.GuardError):
                    await ac.post("/v1/messages", content=bad)

        asyncio.run(run())
    finally:
        claude_otel.uninstrument()
    assert double.requests == []


# --- pure parts ---------------------------------------------------------------------------------------


def test_record_and_checks_pure() -> None:
    msg = {
        "type": "message",
        "id": "msg_1",
        "content": [
            {"type": "thinking", "thinking": "t", "signature": "s"},
            {
                "type": "tool_use",
                "id": "toolu_1",
                "name": "x",
                "input": {},
                "caller": {"type": "code_execution_20250825"},
            },
        ],
        "container": {"id": "container_1"},
        "stop_reason": "tool_use",
    }
    rec = record_from_message(msg)
    assert rec is not None and rec.tool_use_ids == ("toolu_1",) and rec.container_id == "container_1"
    store = {k: rec for k in rec.index_keys()}
    body = {
        "messages": [
            {"role": "user", "content": "q"},
            {"role": "assistant", "content": msg["content"]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1"}]},
        ]
    }
    found = check_continuity(body, store.get)
    assert [(f.rule, f.severity, f.path) for f in found] == [("container_required", "error", "container")]
    assert check_continuity({**body, "container": "container_1"}, store.get) == ()
    assert check_continuity({**body, "container": {"id": "container_1"}}, store.get) == ()
    # nothing known: no findings; odd input: no exception
    assert check_continuity(body, {}.get) == ()
    assert check_continuity({"messages": "nope", "thread": 3}, store.get) == ()
    assert check_continuity([], store.get) == ()  # type: ignore[arg-type]
    # finding messages name ids only, never content
    assert all("q" not in f.message.split() for f in found)


def test_thread_pure_ok_and_mismatch() -> None:
    rec = ResponseRecord("msg_9", tool_use_ids=("toolu_a", "toolu_b"))
    lookup = {"msg_9": rec}.get

    def body(ids: list[str]) -> dict:
        return {
            "thread": {"type": "continue", "previous_message_id": "msg_9"},
            "messages": [
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": i} for i in ids]}
            ],
        }

    assert check_continuity(body(["toolu_b", "toolu_a"]), lookup) == ()
    (f,) = check_continuity(body(["toolu_a"]), lookup)
    assert f.rule == "thread_results_mismatch" and "toolu_b" in f.message and f.path == "messages.0"


def _sse_bytes() -> bytes:
    message = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "m",
        "stop_reason": "tool_use",
        "content": [
            {"type": "text", "text": "x"},
            {"type": "tool_use", "id": "toolu_1", "name": "n", "input": {}},
        ],
    }
    return b"".join(f"event: {e}\r\ndata: {json.dumps(d)}\r\n\r\n".encode() for e, d in sse_events(message))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=200))
def test_sse_parser_any_chunking_same_events(cuts: list[int]) -> None:
    data = _sse_bytes()
    whole = SSEParser().feed(data)
    parser, got, pos = SSEParser(), [], 0
    for n in cuts:
        got += parser.feed(data[pos : pos + n])
        pos += n
    got += parser.feed(data[pos:])
    got += parser.close()
    assert got == whole
    names = [e for e, _ in whole]
    assert names[0] == "message_start" and names[-1] == "message_stop"


def test_resumed_session_with_edited_thinking_against_the_mock(otel: Any) -> None:
    """The real SDK against the mock, thinking on, no tools: the latest assistant turn is [thinking, text]
    as in a resumed Claude Code session. Edited, it is predicted thinking_modified, and the mock (which
    issued the signature) answers 400 for the same reason."""
    from claude_otel.mock import MockConfig, MockServer

    otel.span_exporter.clear()
    with MockServer(MockConfig()) as server:
        claude_otel.instrument(tracer_provider=otel.tracer_provider, extra_base_urls=[server.base_url])
        try:
            c = anthropic.Anthropic(
                api_key="k",
                base_url=server.base_url,
                max_retries=0,
                open_telemetry={"tracer_provider": otel.tracer_provider},
            )
            kw: dict[str, Any] = dict(model=MODEL, max_tokens=2048, thinking={"type": "adaptive"})
            first = c.messages.create(messages=[{"role": "user", "content": "go"}], **kw)
            assert [b.type for b in first.content] == ["thinking", "text"]
            msgs = [
                {"role": "user", "content": "go"},
                {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
                {"role": "user", "content": "and now?"},
            ]
            c.messages.create(messages=msgs, **kw)
            msgs[1]["content"][0]["thinking"] = "edited"
            with pytest.raises(anthropic.BadRequestError) as caught:
                c.messages.create(messages=msgs, **kw)
        finally:
            claude_otel.uninstrument()
    assert "thinking" in str(caught.value)
    spans = http_spans(otel.span_exporter)
    assert "thinking_modified" not in finding_rules(spans[1])
    assert "thinking_modified" in finding_rules(spans[2])
