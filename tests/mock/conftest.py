"""Fixtures for the mock server tests: one shared server on a free loopback port."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from claude_otel.mock import MockConfig, MockServer


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer(MockConfig(seed=7)) as running:
        yield running


@pytest.fixture
def fresh_server(request: pytest.FixtureRequest) -> Iterator[MockServer]:
    """A server with the config given by ``@pytest.mark.parametrize("fresh_server", [MockConfig(...)])``."""
    config = getattr(request, "param", None) or MockConfig()
    with MockServer(config) as running:
        yield running
