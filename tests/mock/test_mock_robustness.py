"""Odd and random request bodies never crash the mock (it answers 200 or a real-format 400, never 500),
and the mock accepts its own answers: replaying any reply it gave, with results for its tool calls,
is a valid next request. Plus the boundary: the mock package never imports the analysis core."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mockutil import post

import claude_otel.mock
from claude_otel.mock import MockServer

MODELS = st.sampled_from(["claude-opus-4-8", "claude-sonnet-4-5-20250929", "claude-sonnet-4-6", "x", ""])
IDS = st.sampled_from(["toolu_01A", "toolu_01B", "call-1", "", "srvtoolu_01S", "bad id"])
TEXT = st.sampled_from(["hello", "", "  ", "ends with space ", "ünïcode ✓"])
TOOL = st.fixed_dictionaries(
    {"name": st.sampled_from(["get_weather", "get_time", "bad.name", ""])},
    optional={
        "input_schema": st.sampled_from(
            [
                {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
                {"type": "object"},
                {
                    "type": "object",
                    "properties": {"n": {"type": ["integer", "null"]}},
                    "required": ["n", "m"],
                },
            ]
        ),
        "defer_loading": st.booleans(),
        "type": st.sampled_from(
            ["custom", "code_execution_20250825", "tool_search_tool_regex_20251119", "web_search_20250305"]
        ),
        "allowed_callers": st.just(["code_execution_20250825"]),
        "cache_control": st.just({"type": "ephemeral"}),
    },
)
BLOCK = st.one_of(
    st.builds(lambda t: {"type": "text", "text": t}, TEXT),
    st.builds(lambda i, n, inp: {"type": "tool_use", "id": i, "name": n, "input": inp}, IDS,
              st.sampled_from(["get_weather", "get_time"]), st.sampled_from([{}, {"a": "x"}, "str", None])),
    st.builds(lambda i, e, c: {"type": "tool_result", "tool_use_id": i, "is_error": e, "content": c}, IDS,
              st.booleans(), st.sampled_from(["ok", "", [], [{"type": "text", "text": "x"}],
                                              [{"type": "tool_reference", "tool_name": "get_time"}]])),
    st.builds(lambda t, s: {"type": "thinking", "thinking": t, "signature": s}, TEXT,
              st.sampled_from(["", "Zm9v"])),
    st.builds(lambda i: {"type": "server_tool_use", "id": i, "name": "web_search", "input": {}}, IDS),
    st.builds(lambda i: {"type": "web_search_tool_result", "tool_use_id": i, "content": []}, IDS),
    st.sampled_from([{"type": "redacted_thinking", "data": "abc"}, {"type": "image"}, {"no_type": 1}, {}]),
)  # fmt: skip
CONTENT = st.one_of(TEXT, st.lists(BLOCK, max_size=4), st.none(), st.integers())
MESSAGE = st.fixed_dictionaries(
    {"role": st.sampled_from(["user", "assistant", "system", "bogus"]), "content": CONTENT}
)
BODY = st.fixed_dictionaries(
    {
        "model": MODELS,
        "max_tokens": st.sampled_from([1, 1024, 4096]),
        "messages": st.lists(MESSAGE, max_size=6),
    },
    optional={
        "tools": st.lists(TOOL, max_size=3),
        "tool_choice": st.sampled_from(
            [
                {"type": "auto"},
                {"type": "any"},
                {"type": "none"},
                {"type": "tool", "name": "get_time"},
                "auto",
                {},
            ]
        ),
        "thinking": st.sampled_from(
            [
                {"type": "enabled", "budget_tokens": 2048},
                {"type": "adaptive"},
                {"type": "disabled"},
                {"type": "x"},
            ]
        ),
        "container": st.sampled_from(["container_011CX", {"id": "container_011CY"}, ""]),
        "stream": st.booleans(),
        "system": st.sampled_from(["be terse", [{"type": "text", "text": ""}]]),
    },
)


def check_answer(response: httpx.Response) -> None:
    assert response.status_code in (200, 400), (response.status_code, response.text[:500])
    assert re.fullmatch(r"req_011C[A-Za-z0-9]+", response.headers["request-id"])
    if response.status_code == 400:
        body = response.json()
        assert body["type"] == "error" and body["error"]["type"] == "invalid_request_error"
        assert body["error"]["message"] and body["request_id"] == response.headers["request-id"]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=BODY)
def test_random_bodies_get_200_or_a_real_400(server: MockServer, body: dict) -> None:
    check_answer(post(server, body))


def _replay(body: dict, reply: dict) -> dict:
    content = reply["content"]
    messages = [*body["messages"], {"role": "assistant", "content": content}]
    results = [
        {"type": "tool_result", "tool_use_id": b["id"], "content": "done"}
        for b in content
        if b["type"] == "tool_use"
    ]
    if results:
        messages.append({"role": "user", "content": results})
    elif reply["stop_reason"] != "pause_turn":
        messages.append({"role": "user", "content": "Go on."})
    follow: dict[str, Any] = {**body, "messages": messages}
    if reply.get("container"):
        follow["container"] = reply["container"]["id"]
    return follow


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=BODY.map(lambda b: {**b, "messages": [*b["messages"], {"role": "user", "content": "Next?"}]}))
def test_the_mock_accepts_its_own_answers(server: MockServer, body: dict) -> None:
    body = {**body, "stream": False}  # ends with a user turn: a reply to a prefill would be merged into it
    for _ in range(4):
        response = post(server, body)
        check_answer(response)
        if response.status_code != 200:
            return
        reply = response.json()
        assert reply["stop_reason"] in ("end_turn", "tool_use", "pause_turn")
        ids = [b["id"] for b in reply["content"] if b["type"] == "tool_use"]
        assert len(ids) == len(set(ids))
        follow = _replay(body, reply)
        follow_response = post(server, follow)
        assert follow_response.status_code == 200, follow_response.json()["error"]["message"]
        body = follow


def test_mock_package_never_imports_claude_otel() -> None:
    package = Path(claude_otel.mock.__file__).parent
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                assert node.level <= 1, f"{path.name} imports from outside claude_otel.mock"
                assert not (node.module or "").startswith("claude_otel"), path.name
            elif isinstance(node, ast.Import):
                assert not any(a.name.startswith("claude_otel") for a in node.names), path.name


@pytest.mark.parametrize(
    "raw", [b"[]", b"null", b'"text"', b'{"model": 1, "max_tokens": "x", "messages": {}}']
)
def test_non_object_bodies_are_400(server: MockServer, raw: bytes) -> None:
    response = httpx.post(server.base_url + "/v1/messages", content=raw, timeout=30)
    check_answer(response)
    assert response.status_code == 400
