"""Every cache is bounded in bytes, not only in entries: requests whose remembered parts are huge (a
multi-MB `model` string, top-level objects, tools[], tool ids) leave the process's memory where it was."""

from __future__ import annotations

import gc
import json
import tracemalloc

from claude_otel.core import analyze, clear_caches
from claude_otel.core.continuity import ResponseRecord
from claude_otel.instrumentation.matcher import Matcher
from claude_otel.instrumentation.state import StateStore

MB = 1024 * 1024
BOUND = 16 * MB  # what all the core's caches together may keep after the traffic below


def retained_after(run) -> int:
    """Bytes still allocated (traced) after ``run()`` and a collection."""
    clear_caches()
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        run()
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
        clear_caches()


def body(i: int, **top) -> bytes:
    return json.dumps(
        {"max_tokens": 8, "messages": [{"role": "user", "content": "x"}], "model": "claude-sonnet-4-5", **top}
    ).encode()


def test_many_requests_with_a_multi_megabyte_model_keep_the_request_cache_bounded():
    def run() -> None:
        for i in range(24):  # each distinct: 24 x 2 MB
            analyze(body(i, model=f"claude-{i:04d}-" + "m" * (2 * MB)))

    assert retained_after(run) < BOUND


def test_large_top_level_objects_keep_the_request_cache_bounded():
    def run() -> None:
        for i in range(24):
            big = "x" * (2 * MB)
            analyze(body(i, thinking={"type": "enabled", "budget_tokens": 1024, "pad": f"{i}{big}"}))
            analyze(body(i, container=f"{i}{big}"))
            analyze(body(i, cache_control={"type": "ephemeral", "pad": f"{i}{big}"}))

    assert retained_after(run) < BOUND


def test_large_tool_lists_keep_the_tools_caches_bounded():
    def run() -> None:
        for i in range(24):
            tools = [{"name": f"t{i}", "description": "d" * (1 * MB), "input_schema": {"type": "object"}}]
            analyze(body(i, tools=tools))
            analyze({**json.loads(body(i)), "tools": tools})  # the dict path's tools cache

    assert retained_after(run) < BOUND


def test_long_tool_ids_are_not_remembered():
    def run() -> None:
        for i in range(24):
            tid = f"toolu_{i:04d}" + "a" * MB
            messages = [
                {"role": "user", "content": "a"},
                {"role": "assistant", "content": [{"type": "tool_use", "id": tid, "name": "t", "input": {}}]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tid, "content": "r"}]},
            ]
            tools = [{"name": "t", "input_schema": {"type": "object"}}]
            analyze(body(i, messages=messages, tools=tools))

    assert retained_after(run) < BOUND


def test_the_url_matcher_does_not_remember_long_paths():
    matcher = Matcher(("http://127.0.0.1:8787",))

    def run() -> None:
        for i in range(64):
            matcher.match("POST", "127.0.0.1", 8787, f"/{i}" + "p" * (256 * 1024))

    assert retained_after(run) < 4 * MB


def test_the_cross_turn_state_is_bounded_in_bytes():
    store = StateStore(max_entries=10_000, max_bytes=4 * MB)

    def run() -> None:
        for i in range(200):  # each record: 2,000 tool ids; each survives through its message id
            ids = tuple(f"toolu_{i:04d}_{j:05d}" + "z" * 80 for j in range(2000))
            store.put(ResponseRecord(message_id=f"msg_{i:04d}", tool_use_ids=ids))
            store.put(ResponseRecord(message_id=None, tool_use_ids=(f"toolu_x{i}",)))

    assert retained_after(run) < 8 * MB
    assert store.bytes <= 4 * MB
