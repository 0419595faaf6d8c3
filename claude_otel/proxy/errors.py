"""Anthropic-format error bodies the proxy answers with itself (pure; content-free messages)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

PROXY_ERROR_HEADER = b"x-claude-otel-proxy"


def error_body(error_type: str, message: str) -> bytes:
    """``{"type":"error","error":{"type":...,"message":...}}`` as the API sends it."""
    return orjson.dumps({"type": "error", "error": {"type": error_type, "message": message}})


def error_response(
    status: int, error_type: str, message: str, reason: str
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """(status, headers, body) of a locally generated error. ``reason`` (a fixed token: guard,
    upstream_connect, upstream_timeout, ...) goes in the ``x-claude-otel-proxy`` header so an operator can
    tell the proxy's answers from the upstream's."""
    body = error_body(error_type, message)
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (PROXY_ERROR_HEADER, reason.encode()),
    ]
    if status == 400:
        headers.append((b"x-should-retry", b"false"))
    return status, headers, body


def guard_message(findings: Iterable[Any]) -> str:
    """One content-free line per error finding: ``rule at path: message`` (the finding's message names the
    fix), prefixed so the client's log says who refused the request."""
    parts: list[str] = []
    for f in findings:
        if getattr(f, "severity", "error") != "error":
            continue
        rule = getattr(f, "rule", "unknown_rule")
        path = getattr(f, "path", "") or "(request)"
        msg = getattr(f, "message", "")
        parts.append(f"{rule} at {path}: {msg}".rstrip(": "))
    if not parts:
        return "claude-otel proxy guard: request refused before sending (the API is expected to answer 400)."
    return (
        "claude-otel proxy guard: request refused before sending, the API is expected to answer 400. "
        + " | ".join(parts)
    )
