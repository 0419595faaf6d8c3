"""Hop-by-hop header rules (RFC 9110 §7.6.1) on the exact header lists the proxy forwards."""

from __future__ import annotations

from claude_otel.proxy.headers import request_headers, response_headers


def test_request_headers_drop_connection_specific_fields_and_keep_the_rest_in_order():
    incoming = [
        (b"host", b"127.0.0.1:8787"),
        (b"x-api-key", b"sk-ant-k"),
        (b"Connection", b"keep-alive, X-Trace-Hop"),
        (b"x-trace-hop", b"1"),
        (b"keep-alive", b"timeout=5"),
        (b"te", b"trailers"),
        (b"transfer-encoding", b"chunked"),
        (b"upgrade", b"h2c"),
        (b"proxy-authorization", b"Basic eA=="),
        (b"expect", b"100-continue"),
        (b"anthropic-beta", b"a"),
        (b"anthropic-beta", b"b"),
        (b"via", b"1.1 corp-proxy"),
    ]
    assert request_headers(incoming) == [
        (b"x-api-key", b"sk-ant-k"),
        (b"anthropic-beta", b"a"),
        (b"anthropic-beta", b"b"),
        (b"via", b"1.1 corp-proxy, 1.1 claude-otel"),
    ]


def test_response_headers_keep_end_to_end_fields_verbatim():
    upstream = [
        (b"Content-Type", b"text/event-stream; charset=utf-8"),
        (b"Transfer-Encoding", b"chunked"),
        (b"Connection", b"close, X-Internal"),
        (b"X-Internal", b"edge-7"),
        (b"Proxy-Authenticate", b"Basic"),
        (b"Trailer", b"x-checksum"),
        (b"Set-Cookie", b"a=1"),
        (b"Set-Cookie", b"b=2"),
        (b"retry-after", b"17"),
        (b"content-encoding", b"gzip"),
    ]
    assert response_headers(upstream) == [
        (b"content-type", b"text/event-stream; charset=utf-8"),
        (b"set-cookie", b"a=1"),
        (b"set-cookie", b"b=2"),
        (b"retry-after", b"17"),
        (b"content-encoding", b"gzip"),
    ]
