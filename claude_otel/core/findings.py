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


# Findings kept per request with their paths; beyond, one summary finding carries the count, so spans (one
# event per finding), guard 400 bodies and metrics stay bounded whatever a body holds.
MAX_FINDINGS = 100


class Collector:
    """Accumulates findings for one request; severity comes from RULES for the provider. The first
    MAX_FINDINGS are kept; the rest are only counted, by rule and severity, for ``findings()``'s summary."""

    __slots__ = ("dropped", "items", "provider")

    def __init__(self, provider: str) -> None:
        self.provider = provider
        self.items: list[Finding] = []
        self.dropped: dict[tuple[str, str], int] | None = None

    def add(self, rule: str, path: str, message: str, severity: str | None = None) -> None:
        info = RULES[rule]
        sev = info.severity_for(self.provider)
        if severity == "warning":  # callers may only downgrade (when the core cannot be sure)
            sev = "warning"
        if len(self.items) >= MAX_FINDINGS:
            dropped = self.dropped
            if dropped is None:
                dropped = self.dropped = {}
            dropped[rule, sev] = dropped.get((rule, sev), 0) + 1
            return
        fix = info.fix
        self.items.append(Finding(rule, sev, path, f"{message}; fix: {fix}"))

    def findings(self) -> tuple[Finding, ...]:
        """The findings of the request: at most MAX_FINDINGS with their paths, then one summary."""
        if not self.dropped and len(self.items) <= MAX_FINDINGS:
            return tuple(self.items)
        return cap_findings(self.items, self.dropped)


def cap_findings(
    findings: Iterable[Finding], dropped: dict[tuple[str, str], int] | None = None
) -> tuple[Finding, ...]:
    """``findings`` bounded: the first MAX_FINDINGS, then (if any were left out, here or in ``dropped``:
    counts by (rule, severity)) one summary finding, of the most frequent rule left out and the worst
    severity, with the count and no path."""
    items = list(findings)
    counts: dict[tuple[str, str], int] = dict(dropped or {})
    for f in items[MAX_FINDINGS:]:
        counts[f.rule, f.severity] = counts.get((f.rule, f.severity), 0) + 1
    kept = tuple(items[:MAX_FINDINGS])
    if not counts:
        return kept
    total = sum(counts.values())
    severity = "error" if any(sev == "error" for _, sev in counts) else "warning"
    rule = max(counts.items(), key=lambda kv: kv[1])[0][0]
    rules = len({r for r, _ in counts})
    message = (
        f"{total} more findings not listed ({rules} rule{'s' if rules != 1 else ''}, most often {rule}); "
        f"the first {MAX_FINDINGS} are; fix: {RULES[rule].fix}"
    )
    return (*kept, Finding(rule, severity, "", message))
