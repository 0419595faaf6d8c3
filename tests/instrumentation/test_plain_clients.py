"""Plain httpx and httpx2 clients (sync and async): pass-through of every byte, trouble handling."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import httpx2
import pytest

import claude_otel
from claude_otel.instrumentation.internal import INTERNAL_REASONS

from .conftest import http_spans
from .double import Double

MODEL = "claude-opus-4-6"
TOOLS = [{"name": "lookup", "input_schema": {"type": "object"}}]
HEADERS = {"x-api-key": "sk-ant-plain-secret", "anthropic-version": "2023-06-01"}


def body(messages: list[dict], stream: bool = False, **extra: Any) -> bytes:
    return json.dumps(
        {"model": MODEL, "max_tokens": 50, "tools": TOOLS, "messages": messages, "stream": stream, **extra}
    ).encode()


FIRST = [{"role": "user", "content": "find it"}]
ORPHAN = [
    {"role": "user", "content": "a"},
    {"role": "assistant", "content": [{"type": "text", "text": "b"}]},
    {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_x", "content": "c"}]},
]


def exchange(
    module: Any, base: str, payloads: list[tuple[bytes, dict]], is_async: bool
) -> list[tuple[int, bytes]]:
    """POST each payload and read the raw body in small pieces, as an application would."""

    def run_sync() -> list[tuple[int, bytes]]:
        out = []
        with module.Client(base_url=base) as client:
            for data, headers in payloads:
                with client.stream("POST", "/v1/messages", content=data, headers={**HEADERS, **headers}) as r:
                    out.append((r.status_code, b"".join(r.iter_raw(7))))
        return out

    async def run_async() -> list[tuple[int, bytes]]:
        out = []
        async with module.AsyncClient(base_url=base) as client:
            for data, headers in payloads:
                async with client.stream(
                    "POST", "/v1/messages", content=data, headers={**HEADERS, **headers}
                ) as r:
                    out.append((r.status_code, b"".join([c async for c in r.aiter_raw(7)])))
        return out

    return asyncio.run(run_async()) if is_async else run_sync()


PAYLOADS = [
    (body(FIRST), {}),
    (body(FIRST, stream=True), {}),
    (body(FIRST, stream=True), {"x-double": "sse_error"}),
    (body(ORPHAN), {}),
    (body(FIRST), {"x-double": "overloaded"}),
]


@pytest.mark.parametrize("module", [httpx, httpx2], ids=["httpx", "httpx2"])
@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
def test_every_byte_unchanged_and_observed(module: Any, is_async: bool, double: Double, otel: Any) -> None:
    bare = exchange(module, double.base_url, PAYLOADS, is_async)
    import prometheus_client

    registry = prometheus_client.CollectorRegistry()
    claude_otel.instrument(
        registry=registry, tracer_provider=otel.tracer_provider, extra_base_urls=double.base_url
    )
    try:
        seen = exchange(module, double.base_url, PAYLOADS, is_async)
    finally:
        claude_otel.uninstrument()

    def normalise(b: bytes) -> bytes:  # the double numbers its ids: compare with them masked
        import re

        return re.sub(rb"(msg|toolu|req)_\d+", rb"\1_N", b)

    assert [(s, normalise(b)) for s, b in seen] == [(s, normalise(b)) for s, b in bare]
    assert [s for s, _ in seen] == [200, 200, 200, 400, 529]

    def value(name: str, **labels: str) -> float:
        return sum(
            s.value
            for fam in registry.collect()
            for s in fam.samples
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
        )

    assert (
        value("claude_otel_requests_total", client="other") == 5
    )  # python-httpx/…: not an Anthropic surface
    assert value("claude_otel_requests_total", outcome="invalid_request") == 1
    assert value("claude_otel_requests_total", outcome="overloaded") == 1
    assert value("claude_otel_streams_total", outcome="completed") == 1
    assert value("claude_otel_streams_total", outcome="error_event") == 1
    assert value("claude_otel_errors_total", status_class="4xx") == 1
    assert value("claude_otel_errors_total", status_class="5xx", category="overloaded") == 1
    assert value("claude_otel_errors_total", status_class="stream") == 1
    assert value("claude_otel_response_stop_reasons_total", stop_reason="tool_use") == 2
    assert value("claude_otel_internal_errors_total") == 0


def test_hook_forced_to_fail_leaves_request_untouched(
    double: Double, instrumented: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from claude_otel.instrumentation import hooks

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("forced failure")

    expected = exchange(httpx2, double.base_url, [(body(FIRST), {})], False)
    monkeypatch.setattr(hooks, "analyze", boom)
    got = exchange(httpx2, double.base_url, [(body(FIRST), {})], False)
    assert got[0][0] == 200 and len(got[0][1]) == len(expected[0][1])
    assert double.requests[-1]["body"] == double.requests[-2]["body"] == body(FIRST)
    assert instrumented.metrics.value("claude_otel_internal_errors_total", reason="hook_error") == 1
    assert instrumented.metrics.value("claude_otel_internal_errors_total") == 1


def test_non_replayable_upload_is_not_read(double: Double, instrumented: Any) -> None:
    data = body(FIRST)

    def gen() -> Any:
        yield data[:10]
        yield data[10:]

    with httpx.Client(base_url=double.base_url) as client:
        r = client.post("/v1/messages", content=gen(), headers=HEADERS)
    assert r.status_code == 200
    assert double.requests[-1]["body"] == data  # the server got every byte: we did not eat the stream
    m = instrumented.metrics
    assert m.value("claude_otel_internal_errors_total", reason="stream_not_replayable") == 1
    assert m.value("claude_otel_requests_total", predicted="skipped", outcome="ok") == 1


def test_huge_body_records_only_size(double: Double, otel: Any) -> None:
    import prometheus_client

    registry = prometheus_client.CollectorRegistry()
    otel.span_exporter.clear()
    claude_otel.instrument(
        registry=registry,
        tracer_provider=otel.tracer_provider,
        extra_base_urls=[double.base_url],
        max_body_bytes=100,
    )
    try:
        with httpx2.Client(base_url=double.base_url) as client:
            r = client.post("/v1/messages", content=body(FIRST), headers=HEADERS)
    finally:
        claude_otel.uninstrument()
    assert r.status_code == 200
    span = http_spans(otel.span_exporter)[-1]
    assert span.attributes["claude_otel.predicted"] == "skipped"
    assert span.attributes["claude_otel.request.body_bytes"] == len(body(FIRST))
    assert "claude_otel.request.message_count" not in span.attributes
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value for f in registry.collect() for s in f.samples
    }
    assert samples[("claude_otel_internal_errors_total", (("reason", "body_too_large"),))] == 1


def test_unparseable_body_counts_and_passes(double: Double, instrumented: Any) -> None:
    with httpx.Client(base_url=double.base_url) as client:
        r = client.post("/v1/messages", content=b"{not json", headers=HEADERS)
    assert r.status_code == 400
    m = instrumented.metrics
    # the client's garbage is the client's problem: not one of ours (that feeds the internal-errors alert)
    for reason in INTERNAL_REASONS:
        assert not m.value("claude_otel_internal_errors_total", reason=reason), reason
    assert m.value("claude_otel_requests_total", predicted="unparsed", outcome="invalid_request") == 1


def test_other_urls_and_count_tokens(double: Double, instrumented: Any) -> None:
    with httpx.Client(base_url=double.base_url) as client:
        client.post("/v1/complete", content=b"{}", headers=HEADERS)
        client.post("/v1/messages/count_tokens", content=body(FIRST), headers=HEADERS)
        client.post("/v1/messages?beta=true", content=body(FIRST), headers=HEADERS)
    m = instrumented.metrics
    assert m.value("claude_otel_requests_total", endpoint="count_tokens") == 1
    assert m.value("claude_otel_requests_total", endpoint="messages") == 1
    assert m.value("claude_otel_requests_total") == 2


def test_instrument_client_and_own_transport(double: Double, otel: Any) -> None:
    import prometheus_client
    from opentelemetry.instrumentation.httpx import SyncOpenTelemetryTransportHttpx2

    reg = prometheus_client.CollectorRegistry()
    client = httpx2.Client(base_url=double.base_url)
    hooks = claude_otel.instrument_client(
        client, registry=reg, tracer_provider=otel.tracer_provider, extra_base_urls=[double.base_url]
    )
    client.post("/v1/messages", content=body(FIRST), headers=HEADERS)
    client.close()
    other = httpx2.Client(base_url=double.base_url)  # not instrumented
    other.post("/v1/messages", content=body(FIRST), headers=HEADERS)
    other.close()
    # a transport the user builds with make_hooks()
    transport = SyncOpenTelemetryTransportHttpx2(
        httpx2.HTTPTransport(),
        tracer_provider=otel.tracer_provider,
        request_hook=hooks.request_hook,
        response_hook=hooks.response_hook,
    )
    with httpx2.Client(base_url=double.base_url, transport=transport) as own:
        r = own.post("/v1/messages", content=body(FIRST, stream=True), headers=HEADERS)
        assert b"message_stop" in r.content
    value = {s.name + repr(sorted(s.labels.items())): s.value for f in reg.collect() for s in f.samples}
    assert sum(v for k, v in value.items() if k.startswith("claude_otel_requests_total")) == 2
    assert value["claude_otel_streams_total[('outcome', 'completed')]"] == 1


@pytest.mark.parametrize("module", [httpx, httpx2], ids=["httpx", "httpx2"])
def test_compressed_responses_are_observed_and_delivered(
    module: Any, double: Double, instrumented: Any
) -> None:
    payloads = [
        (body(FIRST), {"x-double-encoding": "gzip"}),
        (body(FIRST), {"x-double-encoding": "deflate"}),
        (body(FIRST, stream=True), {"x-double-encoding": "gzip"}),
        (body(ORPHAN), {"x-double-encoding": "gzip"}),
    ]
    with module.Client(base_url=double.base_url) as client:
        got = [client.post("/v1/messages", content=d, headers={**HEADERS, **h}) for d, h in payloads]
    # the application decodes as usual: the tee handed over the compressed bytes untouched
    assert got[0].json()["stop_reason"] == "tool_use" and got[1].json()["stop_reason"] == "tool_use"
    assert b"message_stop" in got[2].content
    assert "unexpected `tool_use_id`" in got[3].json()["error"]["message"]
    m = instrumented.metrics
    assert m.value("claude_otel_response_stop_reasons_total", stop_reason="tool_use") == 3
    assert m.value("claude_otel_streams_total", outcome="completed") == 1
    assert m.value("claude_otel_errors_total", status_class="4xx", category="unclassified") == 0
    assert m.value("claude_otel_errors_total", status_class="4xx") == 1
    assert m.value("claude_otel_internal_errors_total") == 0


def test_undecodable_encoding_is_counted_not_fatal(double: Double, instrumented: Any) -> None:
    headers = {"x-double-encoding": "compress"}
    with (
        httpx2.Client(base_url=double.base_url) as client,
        client.stream("POST", "/v1/messages", content=body(FIRST), headers=headers) as r,
    ):
        raw = b"".join(r.iter_raw())
    assert raw.startswith(b"\x8b\x00opaque-lzw")  # delivered as sent
    m = instrumented.metrics
    assert m.value("claude_otel_requests_total", outcome="ok") == 1
    assert m.value("claude_otel_internal_errors_total", reason="response_encoding_unsupported") == 1
