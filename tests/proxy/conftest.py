"""Fixtures for the proxy tests: a scriptable upstream and proxies in front of it, all on 127.0.0.1."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from claude_otel.proxy.app import ProxyConfig
from claude_otel.proxy.factory import Proxy, create_proxy
from claude_otel.proxy.server import ThreadedServer

from .upstream import Upstream


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    with Upstream() as up:
        yield up


StartProxy = Callable[..., tuple[ThreadedServer, Proxy]]


@pytest.fixture
def start_proxy() -> Iterator[StartProxy]:
    """``start_proxy(upstream_url, **ProxyConfig fields)`` -> (server, proxy); stopped after the test."""
    with contextlib.ExitStack() as stack:

        def start(
            upstream_url: str, *, instrument: bool = True, **fields: Any
        ) -> tuple[ThreadedServer, Proxy]:
            config = ProxyConfig(upstream=upstream_url, trust_env=False, **fields)
            proxy = create_proxy(config, instrument=instrument)
            server = stack.enter_context(ThreadedServer(proxy.app))
            return server, proxy

        yield start


@pytest.fixture
def proxied(upstream: Upstream, start_proxy: StartProxy) -> tuple[Upstream, ThreadedServer, Proxy]:
    server, proxy = start_proxy(upstream.base_url)
    return upstream, server, proxy
