"""GuardError: the one exception claude-otel ever lets reach the application (only with ``guard=True``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

try:  # the anthropic SDK passes its own errors through unwrapped and never retries this one
    from anthropic import AnthropicError as _Base
except Exception:  # pragma: no cover - anthropic is a dependency, but stay importable without it
    _Base = Exception  # type: ignore[assignment,misc]

__all__ = ["GuardError"]


class GuardError(_Base):  # type: ignore[misc,valid-type]
    """Raised before sending a request that the analysis says the API will reject with HTTP 400.

    ``rule``, ``path`` and ``fix`` describe the first error-severity finding; ``findings`` has them all.
    Nothing was sent: no byte of the request reached the network.
    """

    def __init__(self, findings: Sequence[Any]) -> None:
        errors = [f for f in findings if getattr(f, "severity", None) == "error"] or list(findings)
        first = errors[0] if errors else None
        self.findings = tuple(findings)
        self.rule: str = getattr(first, "rule", "unknown")
        self.path: str = getattr(first, "path", "")
        self.fix: str = getattr(first, "message", "")
        more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(
            f"claude-otel guard: request not sent, the API would reject it: rule {self.rule} at "
            f"{self.path or '<body>'}: {self.fix}{more}"
        )
