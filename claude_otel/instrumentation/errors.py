"""GuardError: the one exception claude-otel ever lets reach the application (only with ``guard=True``)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

__all__ = ["GuardError", "guard_error"]


class GuardError(Exception):
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


@lru_cache(maxsize=4)
def _sdk_guard_error(base: type[BaseException]) -> type[GuardError]:
    return type("GuardError", (GuardError, base), {"__module__": __name__, "__qualname__": "GuardError"})


def guard_error(findings: Sequence[Any]) -> GuardError:
    """The GuardError to raise: also an ``anthropic.AnthropicError`` when the application has imported the
    SDK (which passes its own errors through unwrapped and never retries them). anthropic is never imported
    here: the core install does not have it, and an application that sends through it has loaded it."""
    sdk = sys.modules.get("anthropic")
    base = getattr(sdk, "AnthropicError", None)
    if isinstance(base, type) and issubclass(base, Exception):
        return _sdk_guard_error(base)(findings)
    return GuardError(findings)
