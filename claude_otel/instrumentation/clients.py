"""The ``client`` label of in-process traffic: the same bounded set the proxy uses.

One label set for in-process and proxy traffic (``claude_otel.core.client_label``), so a dashboard can
split 400s by the surface that sent them whichever way they were observed. Cached: few distinct values.
"""

from __future__ import annotations

from functools import lru_cache

from claude_otel.core.client_label import CLIENT_LABELS
from claude_otel.core.client_label import client_label as _client_label

__all__ = ["CLIENTS", "client_label"]

CLIENTS: tuple[str, ...] = CLIENT_LABELS


@lru_cache(maxsize=512)
def client_label(user_agent: str | None) -> str:
    return _client_label(user_agent)
