"""claude-otel: request-shape observability for the Anthropic Messages API.

The public API (docs/interfaces.md §2) is imported lazily, so ``import claude_otel`` stays cheap and
the analysis core can be used without loading OpenTelemetry or prometheus_client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "GuardError",
    "get_registry",
    "instrument",
    "instrument_client",
    "make_hooks",
    "start_metrics_server",
    "uninstrument",
]

_LAZY = {
    "instrument": ("claude_otel.instrumentation.instrumentor", "instrument"),
    "uninstrument": ("claude_otel.instrumentation.instrumentor", "uninstrument"),
    "instrument_client": ("claude_otel.instrumentation.instrumentor", "instrument_client"),
    "make_hooks": ("claude_otel.instrumentation.hooks", "make_hooks"),
    "start_metrics_server": ("claude_otel.instrumentation.metrics", "start_metrics_server"),
    "get_registry": ("claude_otel.instrumentation.metrics", "get_registry"),
    "GuardError": ("claude_otel.instrumentation.errors", "GuardError"),
}

if TYPE_CHECKING:
    from claude_otel.instrumentation.errors import GuardError
    from claude_otel.instrumentation.hooks import make_hooks
    from claude_otel.instrumentation.instrumentor import instrument, instrument_client, uninstrument
    from claude_otel.instrumentation.metrics import get_registry, start_metrics_server


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'claude_otel' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(target[0]), target[1])
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
