"""Fixtures for the security suite: the real proxy under uvicorn on 127.0.0.1, a scriptable upstream, a
second server standing for "something else on the network", and raw-socket clients that send exactly the
bytes an attacker would."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families
from proxy.conftest import StartProxy, start_proxy, upstream  # tests/proxy's fixtures, shared
from proxy.upstream import Upstream

from claude_otel.proxy.factory import Proxy

__all__ = ["StartProxy", "start_proxy", "upstream"]  # fixtures pytest finds here


@pytest.fixture
def bystander() -> Iterator[Upstream]:
    """Another server on 127.0.0.1 that no client of the proxy may reach through it."""
    with Upstream() as up:
        yield up


def raw_exchange(port: int, data: bytes, *, timeout: float = 10.0) -> bytes:
    """Send ``data`` on a fresh connection and read until the server closes or answers one whole response
    (Content-Length framed); b"" if it closed without answering."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        return read_response(sock, timeout)


def read_response(sock: socket.socket, timeout: float = 10.0) -> bytes:
    sock.settimeout(timeout)
    buf = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            return buf
        if not chunk:
            return buf
        buf += chunk
        head, sep, body = buf.partition(b"\r\n\r\n")
        if sep:
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length" and len(body) >= int(value):
                    return buf


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1]) if response.startswith(b"HTTP/1.1 ") else 0


def header_of(response: bytes, name: bytes) -> bytes | None:
    head = response.partition(b"\r\n\r\n")[0]
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == name:
            return value.strip()
    return None


def body_of(response: bytes) -> bytes:
    return response.partition(b"\r\n\r\n")[2]


def metric(proxy: Proxy, name: str, **labels: str) -> float:
    """Sum of the proxy registry's samples called ``name`` whose labels include ``labels``."""
    from prometheus_client import generate_latest

    total = 0.0
    for family in text_string_to_metric_families(generate_latest(proxy.registry).decode()):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                total += s.value
    return total


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()
