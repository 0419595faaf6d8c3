"""Upstream trouble reaches the client as the upstream meant it: errors verbatim, connection failures as
502/504 in the API's error format, a broken stream as a broken stream. Nothing is retried."""

from __future__ import annotations

import json
import socket
import time

import anthropic
import httpx
import pytest

from .upstream import SSE_EVENTS

STREAM_BODY = json.dumps(
    {
        "model": "claude-sonnet-4-5",
        "max_tokens": 8,
        "stream": True,
        "messages": [{"role": "user", "content": "x"}],
    }
).encode()


def post(base_url: str, scenario: str, *, timeout: float = 10) -> httpx.Response:
    with httpx.Client(timeout=timeout) as client:
        return client.post(base_url + "/v1/messages", content=b"{}", headers={"x-scenario": scenario})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_refused_connection_becomes_502_api_error(start_proxy):
    port = free_port()  # nothing listens there any more
    server, _ = start_proxy(f"http://127.0.0.1:{port}")
    resp = post(server.base_url, "json")
    assert resp.status_code == 502
    body = resp.json()
    assert body["type"] == "error"
    assert body["error"]["type"] == "api_error"
    assert "connection refused" in body["error"]["message"]
    assert f"127.0.0.1:{port}" in body["error"]["message"]
    assert resp.headers["x-claude-otel-proxy"] == "upstream_connect"
    assert resp.headers["content-type"] == "application/json"


def test_upstream_closing_without_an_answer_becomes_502_api_error(proxied):
    up, server, _ = proxied
    resp = post(server.base_url, "close")
    assert resp.status_code == 502
    assert resp.json()["error"]["type"] == "api_error"
    assert resp.headers["x-claude-otel-proxy"] == "upstream_error"
    assert len(up.requests) == 1  # not retried


def test_upstream_timeout_becomes_504_timeout_error(upstream, start_proxy):
    server, _ = start_proxy(upstream.base_url, read_timeout=0.3)
    resp = post(server.base_url, "slow")
    assert resp.status_code == 504
    assert resp.json()["type"] == "error"
    assert resp.json()["error"]["type"] == "timeout_error"
    assert resp.headers["x-claude-otel-proxy"] == "upstream_timeout"
    assert len(upstream.requests) == 1  # not retried


def test_sdk_sees_the_proxy_504_as_an_api_error(upstream, start_proxy):
    server, _ = start_proxy(upstream.base_url, read_timeout=0.3)
    client = anthropic.Anthropic(base_url=server.base_url, api_key="k", max_retries=0)
    with pytest.raises(anthropic.APIStatusError) as info:
        client.messages.create(
            model="claude-sonnet-4-5",
            max_tokens=8,
            messages=[{"role": "user", "content": "x"}],
            extra_headers={"x-scenario": "slow"},
        )
    assert info.value.status_code == 504
    assert info.value.body["error"]["type"] == "timeout_error"


def read_stream(base_url: str, scenario: str) -> tuple[bytes, BaseException | None]:
    got = b""
    with httpx.Client(timeout=10) as client:
        req = client.build_request(
            "POST", base_url + "/v1/messages", content=b"{}", headers={"x-scenario": scenario}
        )
        resp = client.send(req, stream=True)
        try:
            for chunk in resp.iter_raw():
                got += chunk
        except httpx.HTTPError as exc:
            return got, exc
        finally:
            resp.close()
    return got, None


def test_reset_mid_stream_reaches_the_client_as_an_incomplete_stream(proxied):
    up, server, _ = proxied
    direct, direct_error = read_stream(up.base_url, "sse-reset")
    through, proxy_error = read_stream(server.base_url, "sse-reset")
    assert direct == through == SSE_EVENTS[0] + SSE_EVENTS[1]  # what was sent before the reset arrives
    assert isinstance(direct_error, httpx.RemoteProtocolError)
    assert isinstance(proxy_error, httpx.RemoteProtocolError)  # and the stream does not look complete


def stream_error(base_url: str) -> type[BaseException] | None:
    client = anthropic.Anthropic(base_url=base_url, api_key="k", max_retries=0)
    try:
        with client.messages.stream(
            model="claude-sonnet-4-5",
            max_tokens=8,
            messages=[{"role": "user", "content": "x"}],
            extra_headers={"x-scenario": "sse-reset"},
        ) as stream:
            stream.get_final_message()
    except Exception as exc:
        return type(exc)
    return None


def test_sdk_stream_fails_through_the_proxy_as_it_fails_direct_when_the_upstream_resets(proxied):
    up, server, _ = proxied
    direct = stream_error(up.base_url)
    assert direct is not None
    assert stream_error(server.base_url) is direct


@pytest.mark.parametrize(
    ("scenario", "status", "error_type", "sdk_error"),
    [
        ("429", 429, "rate_limit_error", anthropic.RateLimitError),
        ("529", 529, "overloaded_error", anthropic.APIStatusError),
        ("400", 400, "invalid_request_error", anthropic.BadRequestError),
    ],
)
def test_upstream_errors_pass_through_verbatim_and_are_not_retried(
    proxied, scenario, status, error_type, sdk_error
):
    up, server, _ = proxied
    direct = post(up.base_url, scenario)
    through = post(server.base_url, scenario)
    assert through.status_code == direct.status_code == status
    assert through.content == direct.content
    assert through.json()["error"]["type"] == error_type
    assert through.headers.get("retry-after") == direct.headers.get("retry-after")
    assert "x-claude-otel-proxy" not in through.headers
    if scenario == "429":
        assert through.headers["retry-after"] == "17"
        assert through.headers["x-should-retry"] == "true"

    before = len(up.requests)
    client = anthropic.Anthropic(base_url=server.base_url, api_key="k", max_retries=0)
    with pytest.raises(sdk_error) as info:
        client.messages.create(
            model="claude-sonnet-4-5",
            max_tokens=8,
            messages=[{"role": "user", "content": "x"}],
            extra_headers={"x-scenario": scenario},
        )
    assert info.value.status_code == status
    assert info.value.body == json.loads(direct.content)
    assert len(up.requests) == before + 1  # one client attempt, one upstream request


def test_client_disconnect_mid_stream_closes_the_upstream_stream(proxied):
    up, server, _ = proxied
    with httpx.Client(timeout=10) as client:
        req = client.build_request(
            "POST",
            server.base_url + "/v1/messages",
            content=STREAM_BODY,
            headers={"x-scenario": "sse-forever"},
        )
        resp = client.send(req, stream=True)
        first = next(resp.iter_raw())
        assert first.startswith(b"event: message_start")
        resp.close()  # the client goes away mid-stream
    assert up.peer_closed.wait(15), "the upstream stream stayed open after the client left"
    for _ in range(100):  # the proxy records the stream's end right after closing it
        page = httpx.get(server.base_url + "/_claude-otel/metrics", timeout=10).text
        if 'claude_otel_streams_total{outcome="incomplete"} 1.0' in page:
            break
        time.sleep(0.05)
    assert 'claude_otel_streams_total{outcome="incomplete"} 1.0' in page
    assert 'claude_otel_streams_total{outcome="completed"} 1.0' not in page


def test_client_disconnect_before_the_response_cancels_the_upstream_request(proxied):
    up, server, _ = proxied
    with pytest.raises(httpx.ReadTimeout):
        post(server.base_url, "hold", timeout=0.5)  # the client gives up and closes its connection
    assert up.peer_closed.wait(15), "the upstream request stayed open after the client left"


def test_oversized_request_is_refused_locally_in_the_api_format(upstream, start_proxy):
    server, _ = start_proxy(upstream.base_url, max_request_bytes=1000)
    with httpx.Client(timeout=10) as client:
        resp = client.post(
            server.base_url + "/v1/messages", content=b"x" * 5000, headers={"x-scenario": "json"}
        )
        ok = client.post(server.base_url + "/v1/messages", content=b"{}", headers={"x-scenario": "json"})
    assert resp.status_code == 413
    assert resp.json()["error"]["type"] == "request_too_large"
    assert ok.status_code == 200
    assert len(upstream.requests) == 1  # only the small one was forwarded
