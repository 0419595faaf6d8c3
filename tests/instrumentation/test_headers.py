"""pick(): the hooks' one-pass read of request/response headers gives what Headers.get gives."""

from __future__ import annotations

import httpx
import httpx2
import pytest

from claude_otel.instrumentation.headers import REQUEST_HEADERS, pick


@pytest.mark.parametrize("module", [httpx, httpx2])
def test_pick_equals_get(module) -> None:
    raw = [
        (b"User-Agent", b"Anthropic/Python 0.99"),
        (b"anthropic-beta", b"a-2025"),
        (b"Anthropic-Beta", b"b-2026"),  # repeated: joined like get() joins them
        (b"x-other", b"1"),
        (b"X-Claude-Code-Session-Id", "s\u00e9ss".encode()),  # not ASCII: the headers' own encoding
    ]
    headers = module.Headers(raw)
    picked = pick(headers, REQUEST_HEADERS)
    expected = {n: headers.get(n) for n in REQUEST_HEADERS if headers.get(n) is not None}
    assert picked == expected
    assert picked["anthropic-beta"] == "a-2025, b-2026"
    assert "x-stainless-retry-count" not in picked


def test_pick_other_mappings() -> None:
    assert pick(None, REQUEST_HEADERS) is None
    assert pick({"user-agent": "x", "other": "y"}, REQUEST_HEADERS) == {"user-agent": "x"}
