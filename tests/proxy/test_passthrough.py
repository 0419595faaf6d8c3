"""The proxy is transparent: what the client sends reaches the upstream unchanged (minus connection-
specific headers), and what the upstream answers reaches the client byte for byte, unbuffered."""

from __future__ import annotations

import gzip
import json

import anthropic
import httpx
import pytest

from .upstream import JSON_BODY, MESSAGE, SSE_EVENTS

HOP = {"connection", "keep-alive", "transfer-encoding", "x-hop-secret"}
BODY = json.dumps(
    {
        "model": "claude-sonnet-4-5",
        "max_tokens": 64,
        "messages": [{"role": "user", "content": "héllo \u2603"}],
    },
    ensure_ascii=False,
).encode()
CLIENT_HEADERS = {
    "x-api-key": "sk-ant-test-secret",
    "anthropic-version": "2023-06-01",
    "anthropic-beta": "fine-grained-tool-streaming-2025-05-14",
    "content-type": "application/json",
    "user-agent": "Anthropic/Python 2.10.0",
}


def fetch(base_url: str, scenario: str, *, path: str = "/v1/messages?beta=true", **headers: str):
    """(status, [(name, value)], raw body bytes) of one POST, reading the body undecoded."""
    with httpx.Client(timeout=10) as client:
        req = client.build_request(
            "POST",
            base_url + path,
            content=BODY,
            headers={**CLIENT_HEADERS, "x-scenario": scenario, **headers},
        )
        resp = client.send(req, stream=True)
        try:
            raw = b"".join(resp.iter_raw())
        finally:
            resp.close()
    return resp.status_code, [(k.decode().lower(), v.decode()) for k, v in resp.headers.raw], raw


def end_to_end(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k, v) for k, v in headers if k not in HOP]


@pytest.mark.parametrize("scenario", ["json", "json-gzip", "sse"])
def test_response_is_byte_exact_compared_with_a_direct_call(proxied, scenario):
    up, server, _ = proxied
    d_status, d_headers, d_body = fetch(up.base_url, scenario)
    p_status, p_headers, p_body = fetch(server.base_url, scenario)

    assert p_status == d_status == 200
    assert p_body == d_body
    # same names, values and order; only hop-by-hop ones dropped (the proxy's server frames the body itself)
    assert [h for h in p_headers if h[0] != "transfer-encoding"] == end_to_end(d_headers)
    assert not {"connection", "keep-alive", "x-hop-secret"} & {k for k, _ in p_headers}
    assert ("x-hop-secret", "connection-specific") in d_headers  # named in the upstream's Connection header
    if scenario == "json":
        assert p_body == JSON_BODY
    if scenario == "json-gzip":  # compressed bytes forwarded as is, still decodable by the client
        assert ("content-encoding", "gzip") in p_headers
        assert json.loads(gzip.decompress(p_body)) == MESSAGE
    if scenario == "sse":
        assert p_body == b"".join(SSE_EVENTS)


def test_request_reaches_upstream_unchanged_except_connection_headers(proxied):
    up, server, _ = proxied
    fetch(
        server.base_url,
        "json",
        path="/v1/messages?beta=true&x=%20a%2Fb",
        **{
            "connection": "keep-alive, x-client-hop",
            "x-client-hop": "for-the-proxy-only",
            "keep-alive": "timeout=5",
            "proxy-authorization": "Basic cHJveHk6c2VjcmV0",
            "x-custom": "kept",
        },
    )
    got = up.requests[-1]
    assert got.method == "POST"
    assert got.target == "/v1/messages?beta=true&x=%20a%2Fb"
    assert got.body == BODY
    assert got.header("host") == f"127.0.0.1:{up.port}"  # rewritten to the upstream
    assert got.header("x-api-key") == "sk-ant-test-secret"  # auth passes through
    assert got.header("anthropic-beta") == "fine-grained-tool-streaming-2025-05-14"
    assert got.header("user-agent") == "Anthropic/Python 2.10.0"
    assert got.header("x-custom") == "kept"
    assert got.header("content-length") == str(len(BODY))
    assert got.header("via") == "1.1 claude-otel"
    names = got.header_names()
    for hop in ("x-client-hop", "keep-alive", "proxy-authorization"):
        assert hop not in names
    assert names.count("host") == 1


def test_non_messages_endpoints_are_forwarded_untouched(proxied):
    up, server, _ = proxied
    with httpx.Client(timeout=10) as client:
        resp = client.get(server.base_url + "/v1/models?limit=2&after_id=x", headers={"x-scenario": "echo"})
    assert resp.status_code == 200
    assert resp.json()["method"] == "GET"
    assert resp.json()["target"] == "/v1/models?limit=2&after_id=x"
    assert up.requests[-1].body == b""


def test_large_request_body_is_forwarded_exactly(proxied):
    up, server, _ = proxied
    body = bytes(range(256)) * (6 * 4096)  # 6 MiB, every byte value
    with httpx.Client(timeout=30) as client:
        resp = client.post(server.base_url + "/v1/messages", content=body, headers={"x-scenario": "echo"})
    assert resp.json()["body_bytes"] == len(body)
    assert up.requests[-1].body == body


def test_sse_events_reach_the_client_as_the_upstream_sends_them(proxied):
    """The upstream sends event 1 and then waits for the test: the client must see event 1 through the
    proxy before event 2 exists. A buffering proxy makes this read time out."""
    up, server, _ = proxied
    with httpx.Client(timeout=httpx.Timeout(10)) as client:
        req = client.build_request(
            "POST", server.base_url + "/v1/messages", content=BODY, headers={"x-scenario": "sse-gated"}
        )
        resp = client.send(req, stream=True)
        try:
            assert resp.status_code == 200
            chunks = resp.iter_raw()
            seen = b""
            while len(seen) < len(SSE_EVENTS[0]):
                seen += next(chunks)
            assert seen == SSE_EVENTS[0]
            assert not up.release.is_set()  # event 2 has not been sent yet
            up.release.set()
            rest = b"".join(chunks)
        finally:
            resp.close()
    assert seen + rest == b"".join(SSE_EVENTS)


def test_anthropic_sdk_works_through_the_proxy(proxied):
    up, server, _ = proxied
    client = anthropic.Anthropic(base_url=server.base_url, api_key="sk-ant-sdk-secret", max_retries=0)
    message = client.messages.create(
        model="claude-sonnet-4-5",
        max_tokens=32,
        messages=[{"role": "user", "content": "hi"}],
        extra_headers={"x-scenario": "json"},
    )
    assert message.id == MESSAGE["id"]
    assert message.content[0].text == "hello from the test upstream"
    with client.messages.stream(
        model="claude-sonnet-4-5",
        max_tokens=32,
        messages=[{"role": "user", "content": "hi"}],
        extra_headers={"x-scenario": "sse"},
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "hello"
    assert final.stop_reason == "end_turn"
    assert [r.header("authorization") for r in up.requests] == ["Bearer sk-ant-sdk-secret"] * 2
    assert up.requests[0].header("user-agent").startswith("Anthropic/Python ")
