"""Repair of one request body in flight: rewritten only when the analysis predicts an error that the
repair removes, and the repaired body is predicted ok. Pure: bytes and an Analysis in, a verdict out."""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from ..core import analyze
from ..core.types import Analysis
from .messages import FIXABLE_RULES, Edit, repair_messages


@dataclass(frozen=True, slots=True)
class RequestRepair:
    """A rewritten body: the bytes to send instead, the rules repaired (sorted, from FIXABLE_RULES), the
    edits and the analysis of the new body."""

    body: bytes
    rules: tuple[str, ...]
    edits: tuple[Edit, ...]
    analysis: Analysis

    @property
    def header_value(self) -> str:
        return ",".join(self.rules)


def repair_request(
    body: bytes | str, analysis: Analysis, *, provider: str = "anthropic", betas: object = None
) -> RequestRepair | None:
    """The repaired body, or None when it must be sent as is: nothing predicted wrong, an error no repair
    removes, a body that does not parse, or a repaired body not predicted ok. Never raises."""
    try:
        errors = [f for f in analysis.findings if f.severity == "error"]
        if analysis.predicted != "error" or not errors:
            return None
        if any(f.rule not in FIXABLE_RULES for f in errors):
            return None
        parsed = orjson.loads(body)
        if not isinstance(parsed, dict) or not isinstance(parsed.get("messages"), list):
            return None
        repaired, edits = repair_messages(parsed["messages"], thread=parsed.get("thread") is not None)
        if not edits:
            return None
        parsed["messages"] = repaired
        new_body = orjson.dumps(parsed)
        after = analyze(new_body, provider=provider, betas=betas)  # type: ignore[arg-type]
        if after.predicted == "error":
            return None
        rules = tuple(sorted({e.rule for e in edits}))
        return RequestRepair(new_body, rules, tuple(edits), after)
    except Exception:
        return None
