"""Shared by the tests that compare the two analysis paths: run `analyze()` with the fast path (decode into
structs + walk_decoded) switched off, so only the full path (orjson + walk_messages) answers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from claude_otel.core import analysis


@contextmanager
def fast_path(enabled: bool) -> Iterator[None]:
    """Within the block, `analyze()` takes the fast path only if `enabled`; restored on exit."""
    analysis._FAST_PATH = enabled
    try:
        yield
    finally:
        analysis._FAST_PATH = True


def full_path_only() -> AbstractContextManager[None]:
    """Within the block, `analyze()` takes the full path only."""
    return fast_path(False)
