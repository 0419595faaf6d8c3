"""Property test: `claude-otel check` never ends in a traceback, whatever the input (in-process, fast)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import tempfile

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claude_otel.cli import main

_block_types = st.sampled_from(
    ["text", "tool_use", "tool_result", "thinking", "redacted_thinking", "image", "server_tool_use",
     "web_search_tool_result", "tool_reference", "document", "mystery"]
)  # fmt: skip
_scalars = st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=8)
_blocks = st.fixed_dictionaries(
    {"type": _block_types},
    optional={
        "id": _scalars,
        "tool_use_id": _scalars,
        "name": _scalars,
        "text": _scalars,
        "input": _scalars | st.dictionaries(st.text(max_size=4), _scalars, max_size=2),
        "content": _scalars | st.lists(st.fixed_dictionaries({"type": _block_types}), max_size=2),
    },
)
_messages = st.fixed_dictionaries(
    {"role": st.sampled_from(["user", "assistant", "system", "tool", 7])},
    optional={"content": st.text(max_size=5) | st.lists(_blocks, max_size=4) | _scalars},
)
request_like = st.fixed_dictionaries(
    {},
    optional={
        "model": _scalars | st.sampled_from(["claude-sonnet-4-5", "claude-opus-4-6"]),
        "max_tokens": _scalars,
        "messages": st.lists(_messages, max_size=6) | _scalars,
        "tools": st.lists(
            st.dictionaries(st.sampled_from(["name", "defer_loading", "type"]), _scalars), max_size=3
        ),
        "tool_choice": _scalars | st.fixed_dictionaries({"type": _scalars}),
        "thinking": _scalars | st.fixed_dictionaries({"type": _scalars, "budget_tokens": _scalars}),
        "container": _scalars,
    },
)


_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def _assert_clean(code: int, err: str) -> None:
    assert code in (0, 1, 2)
    assert "Traceback" not in err
    assert "internal error" not in err
    assert err.count("\n") <= 1


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=500) | st.text(max_size=300).map(str.encode) | request_like.map(orjson.dumps))
def test_check_never_tracebacks(data: bytes) -> None:
    fd, path = tempfile.mkstemp(suffix=".json")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        for argv in (["check", path], ["check", "--json", path], ["skeleton", path]):
            code, out, err = _run(argv)
            _assert_clean(code, err)
            if code == 2:
                assert out == "" and err.startswith(f"claude-otel {argv[0]}: {path}")
            elif argv[1] == "--json":
                assert set(orjson.loads(out)) == {"ok", "findings", "shape"}
        code, out, err = _run(["classify", "--json", path])
        _assert_clean(code, err)
        if code == 2:  # empty, binary or a JSON value that is no error body: one line, nothing echoed
            assert out == "" and err.startswith(f"claude-otel classify: {path}: ")
        else:
            assert code == 0 and not _CONTROLS.search(out.rstrip("\n")), out
    finally:
        os.unlink(path)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=80) | request_like.map(orjson.dumps), min_size=1, max_size=5))
def test_check_jsonl_never_tracebacks(lines: list[bytes]) -> None:
    fd, path = tempfile.mkstemp(suffix=".jsonl")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(b"\n".join(line.replace(b"\n", b" ") for line in lines))
        code, out, err = _run(["check", "--json", path])
        _assert_clean(code, err)
        if code != 2:
            assert all(set(json.loads(line)) == {"ok", "findings", "shape"} for line in out.splitlines())
    finally:
        os.unlink(path)
