"""The value types of the analysis core: Finding, Shape, Analysis (see docs/interfaces.md §1)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import orjson

SEVERITIES: tuple[str, ...] = ("error", "warning")
PROVIDERS: tuple[str, ...] = ("anthropic", "bedrock", "vertex")
PREDICTIONS: tuple[str, ...] = ("error", "warning", "ok", "unparsed", "skipped")


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule that fired: stable rule id, severity, API-style path, one content-free line."""

    rule: str
    severity: str
    path: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "severity": self.severity, "path": self.path, "message": self.message}


@dataclass(slots=True)
class Shape:
    """Content-free summary of a request body: counts, ids-free flags, sizes, types."""

    body_bytes: int = 0
    model: str | None = None
    stream: bool = False
    max_tokens: int | None = None
    message_count: int = 0
    messages_by_role: dict[str, int] = field(default_factory=dict)
    block_counts: dict[str, int] = field(default_factory=dict)
    tool_use_count: int = 0
    tool_result_count: int = 0
    server_tool_use_count: int = 0
    server_tool_result_count: int = 0
    thinking_block_count: int = 0
    tool_reference_count: int = 0
    image_count: int = 0
    document_count: int = 0
    tools_declared: int = 0
    tools_deferred: int = 0
    tool_choice: str | None = None
    thinking: str | None = None
    container: bool = False
    thread: str | None = None
    cache_control_count: int = 0
    last_role: str | None = None
    text_before_tool_result: bool = False
    results_split: bool = False
    trailing_server_tool_use: bool = False
    pending_tool_use_count: int = 0
    betas: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, dict):
                value = dict(value)
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out


@dataclass(slots=True)
class Analysis:
    """Result of `analyze`: the shape, the findings, and the one-word prediction."""

    shape: Shape
    findings: tuple[Finding, ...] = ()
    predicted: str = "ok"
    parse_error: str | None = None
    # the parsed body (a dict), or on the fast path the request's bytes or str, parsed on first access
    _body: Any = field(default=None, repr=False, compare=False)
    # on the fast path, the decoded request (a claude_otel.core.schema.Request) the cross-turn checks read
    decoded: Any = field(default=None, repr=False, compare=False)

    @property
    def body(self) -> dict | None:
        """The parsed body, for in-process follow-up checks (None when it was not parsed)."""
        b = self._body
        if b is None or b.__class__ is dict:
            return b
        try:  # the fast path kept the bytes: parsed here, once, only when asked for
            parsed = orjson.loads(b)
        except orjson.JSONDecodeError:  # bad UTF-8 inside a value the fast path skipped (README: limits)
            parsed = None
        self._body = parsed if isinstance(parsed, dict) else None
        return self._body

    @property
    def ok(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe view (never includes the body)."""
        return {
            "ok": self.ok,
            "predicted": self.predicted,
            "parse_error": self.parse_error,
            "findings": [f.as_dict() for f in self.findings],
            "shape": self.shape.as_dict(),
        }
