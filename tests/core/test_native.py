"""The mypyc-compiled walker and checks (setup.py, claude_otel/core/_native.py) against their sources.

Differential: `analyze(...).as_dict()` and the walk's turn records must be identical with the compiled and
the pure modules on the rule catalogue's bodies, the modern valid requests, hypothesis-generated JSON and
Messages-API-shaped bodies, and the benchmark transcripts; the compiled modules must never raise into
analyze (a mypyc type check failing would show as an "internal error"). Skipped only when no compiled
modules are built."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import pytest
from core_bodies import wire
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_fast_paths import tool_loops
from test_modern import VALID
from test_properties import json_values, request_bodies
from test_rules import CASES

from claude_otel.core import _native, analysis, analyze, clear_caches
from claude_otel.core.findings import Collector
from claude_otel.core.types import Shape

ROOT = Path(__file__).resolve().parents[2]
COMPILED, WHY = _native.load_compiled()
BUILT = COMPILED is not None or WHY.startswith("stale")
needs_compiled = pytest.mark.skipif(
    COMPILED is None, reason=f"no current compiled modules ({WHY}); `pip install -e .` builds them"
)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TURN_FIELDS = [
    "role",
    "msgs",
    "tool_uses",
    "results",
    "result_msgs",
    "other_before_result",
    "text_after_tool_use",
    "server_unresolved",
    "has_thinking",
    "has_fallback",
    "first_block_type",
    "last_block",
    "non_result_blocks",
]


@contextmanager
def using(mods: dict[str, Any]) -> Iterator[None]:
    try:
        _native.bind(mods)
        yield
    finally:
        _native.bind(_native.SELECTED)


def _analyze(mods: dict[str, Any], body: Any, **kw: Any) -> dict:
    clear_caches()  # both runs start from the same caches
    with using(mods):
        a = analyze(body, **kw)
    assert a.parse_error is None or not a.parse_error.startswith("internal"), (mods["walk"], a.parse_error)
    return a.as_dict()


def _walk(mod: Any, messages: list) -> tuple[list, list]:
    clear_caches()
    shape, out = Shape(), Collector("anthropic")
    res = mod.walk_messages(messages, shape, out)
    turns = [[getattr(t, f) for f in TURN_FIELDS] for t in res.turns]
    rest = [res.tool_refs, res.server_names, res.history_tool_names, res.has_tool_blocks, res.tool_changes]
    return [turns, rest, shape.as_dict()], out.items


def same(body: Any, **kw: Any) -> None:
    assert COMPILED is not None
    assert _analyze(COMPILED, body, **kw) == _analyze(_native.PURE, body, **kw)
    parsed = orjson.loads(body) if isinstance(body, (bytes, str)) else body
    if isinstance(parsed, dict) and isinstance(parsed.get("messages"), list):
        assert _walk(COMPILED["walk"], parsed["messages"]) == _walk(_native.PURE["walk"], parsed["messages"])


@needs_compiled
@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_rule_catalogue_bodies(case: tuple) -> None:
    _rule, provider, _severity, bad, good = case
    for b in (bad, good):
        same(wire(b), provider=provider)
        same(b, provider=provider)  # the mapping path too


@needs_compiled
@pytest.mark.parametrize("name", list(VALID))
def test_modern_valid_requests(name: str) -> None:
    same(wire(VALID[name]))


@needs_compiled
def test_real_client_corpus() -> None:
    """What Claude Code, claude-agent-sdk and the anthropic SDK really sent (tests/realclients)."""
    sys.path.insert(0, str(ROOT / "tests" / "realclients"))
    try:
        from corpus import load
    finally:
        sys.path.remove(str(ROOT / "tests" / "realclients"))
    recorded = load()
    assert len(recorded) >= 80
    for body in recorded:
        same(body.raw, betas=body.betas)


@needs_compiled
@SETTINGS
@given(json_values)
def test_arbitrary_json(value: object) -> None:
    same(orjson.dumps(value))
    if isinstance(value, dict):
        same({"messages": [value, {"role": "user", "content": [value]}]})


@needs_compiled
@SETTINGS
@given(request_bodies, st.sampled_from(["anthropic", "bedrock", "vertex"]))
def test_request_like_bodies(body: dict, provider: str) -> None:
    same(orjson.dumps(body), provider=provider)


@needs_compiled
@SETTINGS
@given(tool_loops(), st.booleans())
def test_tool_loops(messages: list[dict], thread: bool) -> None:
    body: dict = {"model": "claude-sonnet-4-5", "max_tokens": 10, "messages": messages}
    if thread:
        body["thread"] = {"type": "continue", "id": "thr_1"}
    same(orjson.dumps(body))


@needs_compiled
def test_benchmark_transcripts() -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from bench_analysis import CASES as BENCH
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    for _name, make in BENCH:
        same(make())


@needs_compiled
def test_non_dict_subclasses_and_odd_values_stay_identical() -> None:
    class D(dict):
        pass

    class S(str):
        pass

    msgs = [
        D(role="user", content="x"),
        {"role": "user", "content": [D(type="text", text="x"), {"type": S("text"), "text": S(" ")}]},
        {"role": "assistant", "content": [{"type": S("image")}, {"type": 3}, {"type": None}, "str", 5]},
        {"role": S("assistant"), "content": [{"type": "tool_use", "id": S("toolu_1"), "input": []}]},
        {"role": "user", "content": ({"type": "text", "text": "tuple"},)},
    ]
    same({"model": "claude-sonnet-4-5", "max_tokens": 10, "messages": msgs})


def test_compiled_modules_are_built_where_required() -> None:
    """CI sets CLAUDE_OTEL_REQUIRE_COMPILED=1: there a build that fell back to pure Python (an import mypy
    cannot see in the isolated build environment, a type error) fails here instead of passing silently."""
    if os.environ.get("CLAUDE_OTEL_REQUIRE_COMPILED") != "1":
        pytest.skip("CLAUDE_OTEL_REQUIRE_COMPILED is not set")
    assert COMPILED is not None, f"compiled modules not usable: {WHY}; see `pip install -v -e .`"


def test_compiled_walker_is_current_and_selected() -> None:
    """Fails when compiled modules are built but stale (a source edited without reinstalling) or not used."""
    if not BUILT:
        pytest.skip(f"no compiled modules are built ({WHY})")
    if _native.pure_requested():
        pytest.skip("CLAUDE_OTEL_PURE_PYTHON is set")
    assert COMPILED is not None, f"compiled modules not usable: {WHY}; run `pip install -e .` again"
    assert _native.NATIVE, _native.STATUS
    for name, funcs in _native.FUNCTIONS.items():
        for f in funcs:
            assert getattr(analysis, f) is getattr(COMPILED[name], f), (f, _native.STATUS)


@pytest.mark.parametrize("edited", list(_native.PURE))
def test_an_edited_source_is_never_run_compiled(edited: str, tmp_path: Path) -> None:
    for name in _native.PURE:
        src = (_native.HERE / f"{name}.py").read_bytes()
        (tmp_path / f"{name}.py").write_bytes(src + b"\n# edited\n" if name == edited else src)
    mods, why = _native.load_compiled(tmp_path)
    assert mods is None
    assert why.startswith(("stale", "not built", "not compiled")), why
    if BUILT:
        assert why.startswith(f"stale ({edited}.py changed"), why


def test_pure_python_switch_at_run_time() -> None:
    env = {**os.environ, "CLAUDE_OTEL_PURE_PYTHON": "1"}
    code = "import claude_otel.core as c; print(c.NATIVE, c.NATIVE_STATUS)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.startswith("False pure (CLAUDE_OTEL_PURE_PYTHON is set)"), out.stdout
