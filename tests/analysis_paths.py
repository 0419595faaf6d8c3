"""Shared by the tests that compare analyses: `analyze()` with the fast path (decode into structs +
walk_decoded) switched off, so only the full path (orjson + walk_messages) answers; every memory of the
core cleared around a test; the Claude Code-shaped bodies of benchmarks/claude_code_bodies.py."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from types import ModuleType

from claude_otel.core import analysis, clear_caches

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


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


@contextmanager
def pristine() -> Iterator[None]:
    """Every cache and memory of the core cleared on entry and on exit, and every switch of `analysis`
    (fast path, incremental analysis, known settings) back on at exit."""
    clear_caches()
    try:
        yield
    finally:
        clear_caches()
        analysis._INCREMENTAL = analysis._FAST_PATH = analysis._SETTINGS = True


def claude_code_bodies() -> ModuleType:
    """benchmarks/claude_code_bodies.py (the Claude Code-shaped bodies and sessions), imported by path."""
    spec = importlib.util.spec_from_file_location("claude_code_bodies", BENCHMARKS / "claude_code_bodies.py")
    assert spec is not None and spec.loader is not None
    module = sys.modules.get("claude_code_bodies")
    if module is None:
        module = importlib.util.module_from_spec(spec)
        sys.modules["claude_code_bodies"] = module
        spec.loader.exec_module(module)
    return module
