"""The instrumentation: httpx/httpx2 hooks, span attributes, Prometheus metrics, response tee, state.

The only part of claude-otel that imports OpenTelemetry and prometheus_client.
"""

from __future__ import annotations

from .errors import GuardError

__all__ = ["GuardError"]
