"""Fuzzing the running proxy on 127.0.0.1: random request targets, header sizes and body framing, sent as
raw bytes. Whatever arrives, the proxy answers with a well-formed HTTP response or closes the connection,
never reaches a host other than its upstream, never forwards a target that is not a path, never fails
with an error of its own (500 / 502 proxy_error), and keeps serving legitimate requests. Bounded: a few
hundred cases, in parallel, a few seconds."""

from __future__ import annotations

import contextlib
import json
import random
import socket
from concurrent.futures import ThreadPoolExecutor

from .conftest import header_of, raw_exchange, read_response, status_of

SEED = 20261205
CASES = 400
BODY = b'{"model":"claude-sonnet-4-5","max_tokens":8,"messages":[{"role":"user","content":"x"}]}'

TARGET_PREFIXES = [
    "/v1/messages",
    "/",
    "@",
    ".",
    "..",
    "//",
    "http://",
    "https://",
    "HTTP://",
    "*",
    ":",
    "?",
    "#",
    "%2f%2f",
    "\\",
    "/v1/messages/../../",
    "/v1/messages?beta=true&",
    "api.anthropic.com",
]
TARGET_CHARS = "abcxyz0189-._~:/?#[]@!$&'()*+,;=%" + "\t\x7f\x80\xff"


def random_target(rng: random.Random, bystander_port: int) -> bytes:
    prefix = rng.choice(TARGET_PREFIXES)
    if rng.random() < 0.3:
        prefix += rng.choice([f"127.0.0.1:{bystander_port}", f"@127.0.0.1:{bystander_port}", "evil.example"])
    tail = "".join(rng.choice(TARGET_CHARS) for _ in range(rng.randint(0, 40)))
    if rng.random() < 0.5:
        tail = "/" + tail
    return (prefix + tail).encode("latin-1")


def random_headers(rng: random.Random) -> bytes:
    out = []
    for i in range(rng.choice([0, 1, 3, 20, 200])):
        size = rng.choice([0, 1, 100, 4000, 20_000])
        out.append(f"x-f{i}: {'v' * size}\r\n".encode())
    return b"".join(out)


def random_framing(rng: random.Random, body: bytes) -> tuple[bytes, bytes]:
    """(framing headers, body bytes as sent)"""
    kind = rng.randrange(12)
    chunked = f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"
    if kind == 0:
        return f"content-length: {len(body)}\r\n".encode(), body
    if kind == 1:  # shorter than declared: the body never completes
        return f"content-length: {len(body) + 50}\r\n".encode(), body
    if kind == 2:  # longer than declared: the rest reads as a (garbage) next request
        return f"content-length: {max(0, len(body) - 10)}\r\n".encode(), body
    if kind == 3:
        return b"transfer-encoding: chunked\r\n", chunked
    if kind == 4:  # both: the transfer coding wins
        return f"transfer-encoding: chunked\r\ncontent-length: {rng.randint(0, 999)}\r\n".encode(), chunked
    if kind == 5:  # two different lengths
        return f"content-length: {len(body)}\r\ncontent-length: {len(body) + 1}\r\n".encode(), body
    if kind == 6:
        return b"content-length: -1\r\n", body
    if kind == 7:
        return b"content-length: 1e3\r\n", body
    if kind == 8:  # a coding the proxy does not speak
        return b"transfer-encoding: gzip, chunked\r\n", chunked
    if kind == 9:  # broken chunk size
        return b"transfer-encoding: chunked\r\n", b"zz\r\n" + body + b"\r\n0\r\n\r\n"
    if kind == 10:  # huge declared length
        return b"content-length: 99999999999999\r\n", body
    return b"", b""  # no body at all


def one_case(seed: int, port: int, bystander_port: int) -> tuple[bytes, bytes]:
    rng = random.Random(seed)
    target = random_target(rng, bystander_port)
    framing, body = random_framing(rng, BODY)
    method = rng.choice([b"POST", b"POST", b"GET", b"OPTIONS", b"CONNECT"])
    request = method + b" " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n" + random_headers(rng) + framing
    request += b"\r\n" + body
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            with contextlib.suppress(OSError):  # refused (and closed) while we were still sending
                sock.sendall(request)
            return request, read_response(sock, 10)
    except OSError:
        return request, b""


def test_fuzzed_targets_headers_and_framing(upstream, bystander, start_proxy):
    server, _ = start_proxy(
        upstream.base_url, header_timeout=1.0, body_timeout=1.0, max_header_bytes=32 * 1024
    )
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda i: one_case(SEED + i, server.port, bystander.port), range(CASES)))

    assert bystander.requests == [], "a fuzzed request reached another server"
    for received in upstream.requests:
        assert received.target.startswith("/"), received.target
    statuses = {}
    for request, response in results:
        if response == b"":
            continue  # closed without an answer (timeouts, refused framing): allowed
        assert response.startswith(b"HTTP/1.1 "), (request[:120], response[:120])
        status = status_of(response)
        statuses[status] = statuses.get(status, 0) + 1
        target = request.split(b" ", 2)[1]
        if not target.startswith(b"/") and not target.startswith(upstream.base_url.encode() + b"/"):
            assert status >= 400, (target, response[:120])  # never forwarded
        assert status != 500, request[:200]
        assert header_of(response, b"x-claude-otel-proxy") != b"proxy_error", request[:200]
        if header_of(response, b"x-claude-otel-proxy") is not None:  # the proxy's own answers: API format
            body = json.loads(response.partition(b"\r\n\r\n")[2])
            assert body["type"] == "error" and body["error"]["type"]
    assert statuses.get(200, 0) > 0 and statuses.get(400, 0) > 0, statuses  # the fuzz hit both sides
    # still serving
    legit = (
        b"POST /v1/messages HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n"
        + f"content-length: {len(BODY)}\r\n\r\n".encode()
        + BODY
    )
    assert status_of(raw_exchange(server.port, legit)) == 200
