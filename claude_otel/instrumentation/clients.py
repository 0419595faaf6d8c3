"""The ``client`` label: the same bounded set as the proxy (``claude_otel.proxy.client_label``).

One label set for in-process and proxy traffic, so a dashboard can split 400s by the surface that
sent them whichever way they were observed. Derived from the User-Agent; cached (few distinct values).
"""

from __future__ import annotations

from functools import lru_cache

__all__ = ["CLIENTS", "client_label"]

try:
    from claude_otel.proxy.client_label import CLIENT_LABELS as _LABELS
    from claude_otel.proxy.client_label import client_label as _label
except Exception:  # pragma: no cover - the proxy package ships with claude-otel; stay usable without it
    _LABELS = ("anthropic-sdk-python", "other")

    def _label(user_agent: str | None) -> str:
        ok = isinstance(user_agent, str) and user_agent.startswith(
            ("Anthropic/Python", "AsyncAnthropic/Python")
        )
        return "anthropic-sdk-python" if ok else "other"


CLIENTS: tuple[str, ...] = tuple(_LABELS)


@lru_cache(maxsize=512)
def client_label(user_agent: str | None) -> str:
    label = _label(user_agent)
    return label if label in CLIENTS else "other"
