"""Request framing a proxy must get right (RFC 9112 §6.3): Transfer-Encoding and Content-Length together
mean the transfer coding wins and the length is dropped; the body goes upstream with its real length."""

from __future__ import annotations

import json

from .conftest import body_of, raw_exchange, status_of


def test_chunked_body_with_a_conflicting_content_length_is_forwarded_by_its_chunks(upstream, start_proxy):
    server, _ = start_proxy(upstream.base_url)
    body = b'{"a":"hello"}'  # 13 bytes, declared 99
    request = (
        b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nx-scenario: echo\r\ncontent-type: application/json\r\n"
        b"Content-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n"
        + f"{len(body):x}\r\n".encode()
        + body
        + b"\r\n0\r\n\r\n"
    )
    response = raw_exchange(server.port, request)
    assert status_of(response) == 200, response[:300]
    echoed = json.loads(body_of(response))
    assert echoed["body_bytes"] == 13
    (got,) = upstream.requests
    assert got.body == body
    assert got.header("content-length") == "13"
    assert got.header("transfer-encoding") is None
