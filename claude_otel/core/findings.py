"""Collecting findings: severity per provider from the rule catalogue, content-free id lists."""

from __future__ import annotations

from collections.abc import Iterable

from .rules import RULES
from .types import Finding

_MAX_IDS = 5
_MAX_ID_LEN = 64


def fmt_ids(ids: Iterable[object]) -> str:
    """Comma-separated ids (first few, each truncated): for finding messages."""
    out: list[str] = []
    n = 0
    for i in ids:
        n += 1
        if n <= _MAX_IDS:
            s = i if isinstance(i, str) else repr(type(i).__name__)
            out.append(s if len(s) <= _MAX_ID_LEN else s[:_MAX_ID_LEN] + "...")
    if n > _MAX_IDS:
        out.append(f"+{n - _MAX_IDS} more")
    return ", ".join(out)


def safe_name(name: object) -> str:
    """A tool name or id for a message: printable identifier characters only, bounded length."""
    if not isinstance(name, str):
        return f"<{type(name).__name__}>"
    s = name[:_MAX_ID_LEN]
    if not all(c.isalnum() or c in "_-.:" for c in s):
        return "<invalid>"
    return s + ("..." if len(name) > _MAX_ID_LEN else "")


class Collector:
    """Accumulates findings for one request; severity comes from RULES for the provider."""

    __slots__ = ("items", "provider")

    def __init__(self, provider: str) -> None:
        self.provider = provider
        self.items: list[Finding] = []

    def add(self, rule: str, path: str, message: str, severity: str | None = None) -> None:
        info = RULES[rule]
        sev = info.severity_for(self.provider)
        if severity == "warning":  # callers may only downgrade (when the core cannot be sure)
            sev = "warning"
        fix = info.fix
        self.items.append(Finding(rule, sev, path, f"{message}; fix: {fix}"))
