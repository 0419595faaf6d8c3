"""The proxy as a well-behaved server: slow clients are closed (head deadline, body idle timeout), client
connections and buffered bytes are capped (503 overloaded_error + retry-after, never falling over), a
declared length over the limit is refused before the body is read, an oversized head is refused."""

from __future__ import annotations

import json
import socket
import threading
import time

from .conftest import body_of, header_of, metric, raw_exchange, read_response, status_of

BODY = b'{"model":"claude-sonnet-4-5","max_tokens":8,"messages":[{"role":"user","content":"x"}]}'


def legit_request(body: bytes = BODY) -> bytes:
    return (
        b"POST /v1/messages HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n"
        + f"content-length: {len(body)}\r\n\r\n".encode()
        + body
    )


def closed_by_server(sock: socket.socket, timeout: float) -> bool:
    """True when the server closes ``sock`` (EOF or reset) within ``timeout`` seconds."""
    sock.settimeout(timeout)
    try:
        while True:
            if not sock.recv(65536):
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except TimeoutError:
        return False


def test_a_client_trickling_its_request_head_is_closed(upstream, start_proxy):
    server, _ = start_proxy(upstream.base_url, header_timeout=0.5)
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(b"POST /v1/messages HTTP/1.1\r\nHost: x\r\n")
        stop = threading.Event()

        def trickle() -> None:  # one header byte every 100 ms: never idle, never done
            while not stop.wait(0.1):
                try:
                    sock.sendall(b"a")
                except OSError:
                    return

        t = threading.Thread(target=trickle, daemon=True)
        t.start()
        try:
            assert closed_by_server(sock, 10)
        finally:
            stop.set()
            t.join()


def test_an_idle_connection_that_never_sends_a_request_is_closed(upstream, start_proxy):
    server, _ = start_proxy(upstream.base_url, header_timeout=0.5)
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        assert closed_by_server(sock, 10)


def test_a_client_that_stops_sending_its_body_is_closed(upstream, start_proxy):
    server, _ = start_proxy(upstream.base_url, body_timeout=0.5)
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(b"POST /v1/messages HTTP/1.1\r\nHost: x\r\ncontent-length: 1000\r\n\r\n{")
        assert closed_by_server(sock, 10)
    assert upstream.requests == []


def test_a_declared_length_over_the_limit_is_refused_before_the_body(upstream, start_proxy):
    server, proxy = start_proxy(upstream.base_url)
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        # 10 GB declared, nothing sent: the answer must not wait for the body
        sock.sendall(b"POST /v1/messages HTTP/1.1\r\nHost: x\r\ncontent-length: 10000000000\r\n\r\n")
        response = read_response(sock, 10)
    assert status_of(response) == 413
    assert json.loads(body_of(response))["error"]["type"] == "request_too_large"
    assert header_of(response, b"connection") == b"close"
    assert metric(proxy, "claude_otel_requests_total", outcome="proxy_refused") == 1


def test_a_chunked_body_over_the_limit_is_refused_as_soon_as_it_passes(upstream, start_proxy):
    server, _ = start_proxy(upstream.base_url, max_request_bytes=4096, max_buffered_bytes=65536)
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(b"POST /v1/messages HTTP/1.1\r\nHost: x\r\ntransfer-encoding: chunked\r\n\r\n")
        sock.sendall(b"2000\r\n" + b"x" * 0x2000 + b"\r\n")  # 8 KiB, and the body never ends
        response = read_response(sock, 10)
    assert status_of(response) == 413


def test_bodies_held_at_once_are_capped_across_requests(upstream, start_proxy):
    server, proxy = start_proxy(upstream.base_url, max_request_bytes=60_000, max_buffered_bytes=100_000)
    with socket.create_connection(("127.0.0.1", server.port)) as first:
        # the first request holds 60,000 bytes of the budget while its body arrives ...
        first.sendall(b"POST /v1/messages HTTP/1.1\r\nHost: x\r\ncontent-length: 60000\r\n\r\n{")
        time.sleep(0.2)
        # ... so a second one declaring 60,000 more is refused at once, in the API's format
        response = raw_exchange(server.port, legit_request(b" " * 59_900 + BODY[:100]))
        assert status_of(response) == 503
        assert json.loads(body_of(response))["error"]["type"] == "overloaded_error"
        assert header_of(response, b"retry-after") is not None
        assert header_of(response, b"x-claude-otel-proxy") == b"overloaded"
        assert metric(proxy, "claude_otel_requests_total", outcome="proxy_refused") == 1
    # the budget is given back: a small request goes through
    assert status_of(raw_exchange(server.port, legit_request())) == 200


def test_connections_over_the_cap_are_answered_503_and_the_proxy_keeps_serving(upstream, start_proxy):
    server, _ = start_proxy(upstream.base_url, max_client_connections=8, header_timeout=30)
    idle = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(8)]
    try:
        time.sleep(0.2)  # the 8 idle connections fill the cap
        response = raw_exchange(server.port, legit_request())
        assert status_of(response) == 503
        assert json.loads(body_of(response))["error"]["type"] == "overloaded_error"
        assert header_of(response, b"retry-after") is not None
        over = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(40)]  # past the margin
        try:
            refused = [read_response(s, 10) for s in over[-10:]]
            assert all(status_of(r) == 503 for r in refused)
        finally:
            for s in over:
                s.close()
    finally:
        for s in idle:
            s.close()
    time.sleep(0.2)
    assert status_of(raw_exchange(server.port, legit_request())) == 200


def test_an_oversized_request_head_is_refused(upstream, start_proxy):
    server, proxy = start_proxy(upstream.base_url, max_header_bytes=8192)
    head = b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nx-big: " + b"a" * 20_000 + b"\r\n"
    # in one piece: complete before h11's incomplete-event limit applies; the proxy's check answers 431
    response = raw_exchange(server.port, head + b"content-length: 2\r\n\r\n{}")
    assert status_of(response) == 431
    assert json.loads(body_of(response))["error"]["type"] == "invalid_request_error"
    assert metric(proxy, "claude_otel_requests_total", outcome="proxy_refused") == 1
    # trickled: h11 (max_header_bytes as its incomplete-event limit) refuses it before it is complete
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        try:
            for i in range(0, len(head), 4096):
                sock.sendall(head[i : i + 4096])
                time.sleep(0.01)
        except OSError:  # refused and closed while we were still sending
            pass
        response = read_response(sock, 10)
    assert status_of(response) == 400 or response == b""
    assert upstream.requests == []
