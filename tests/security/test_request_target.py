"""Server-side request forgery through the request target: only origin-form targets are forwarded (and
absolute-form naming the upstream itself); anything else is a 400 in the API's error format, and neither
the upstream nor any other server sees a byte of it."""

from __future__ import annotations

import json

import pytest

from .conftest import body_of, header_of, raw_exchange, status_of

BODY = b'{"model":"claude-sonnet-4-5","max_tokens":8,"messages":[{"role":"user","content":"x"}]}'


def request(target: str, port: int) -> bytes:
    return (
        f"POST {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\ncontent-type: application/json\r\n"
        f"x-api-key: sk-ant-secret\r\ncontent-length: {len(BODY)}\r\n\r\n"
    ).encode() + BODY


def assert_refused(response: bytes) -> None:
    assert status_of(response) == 400, response[:200]
    body = json.loads(body_of(response))
    assert body["type"] == "error"
    assert body["error"]["type"] == "invalid_request_error"
    assert header_of(response, b"x-claude-otel-proxy") == b"bad_target"


def test_an_at_sign_target_does_not_reach_another_server(upstream, bystander, start_proxy):
    # the reproduction: base + "@127.0.0.1:9999/internal" made the bystander the URL's host
    server, _ = start_proxy(upstream.base_url)
    response = raw_exchange(server.port, request(f"@127.0.0.1:{bystander.port}/internal", server.port))
    assert_refused(response)
    assert bystander.requests == []
    assert upstream.requests == []


@pytest.mark.parametrize(
    "target",
    [
        ".evil.example/v1/messages",  # https://api.anthropic.com.evil.example/v1/messages
        "evil.example/v1/messages",
        ":9999/v1/messages",
        "*",
        "//127.0.0.1/v1/messages",
        "http://127.0.0.1:1/v1/messages",  # absolute-form naming another authority
        "https://evil.example/v1/messages",
    ],
)
def test_targets_that_are_not_a_path_are_refused(target, upstream, start_proxy):
    server, _ = start_proxy(upstream.base_url)
    assert_refused(raw_exchange(server.port, request(target, server.port)))
    assert upstream.requests == []


def test_absolute_form_naming_the_upstream_itself_is_forwarded(upstream, start_proxy):
    server, _ = start_proxy(upstream.base_url)
    target = f"{upstream.base_url}/v1/messages?beta=true"
    response = raw_exchange(server.port, request(target, server.port))
    assert status_of(response) == 200
    assert [r.target for r in upstream.requests] == ["/v1/messages?beta=true"]


def test_an_upstream_path_prefix_is_kept_and_cannot_be_escaped_into_another_host(upstream, start_proxy):
    server, _ = start_proxy(upstream.base_url + "/gateway")
    assert status_of(raw_exchange(server.port, request("/v1/messages", server.port))) == 200
    assert_refused(raw_exchange(server.port, request("@evil.example/v1/messages", server.port)))
    assert [r.target for r in upstream.requests] == ["/gateway/v1/messages"]
