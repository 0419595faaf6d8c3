"""The real path: bodies the installed anthropic SDK actually sends over HTTP (to a server on 127.0.0.1).

A correct agent loop (response content passed back as-is, results answered) must analyse as ok; the
classic bugs (a user text turn instead of the results, a dropped parallel result) must be predicted.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import anthropic
import pytest

from claude_otel.core import analyze, skeleton

TOOLS = [
    {"name": "get_weather", "description": "Weather", "input_schema": {"type": "object", "properties": {}}},
    {"name": "get_time", "description": "Time", "input_schema": {"type": "object", "properties": {}}},
]


def _response(body: dict) -> dict:
    """A Messages API response: two parallel tool calls (with thinking) on the first turn, then text."""
    n = len(body["messages"])
    content: list[dict]
    if n == 1:
        content = [
            {"type": "thinking", "thinking": "Two lookups.", "signature": "EqQBCkgIARABGAIiQL0sig"},
            {"type": "text", "text": "Checking."},
            {"type": "tool_use", "id": "toolu_01AAA", "name": "get_weather", "input": {"city": "Paris"}},
            {"type": "tool_use", "id": "toolu_01BBB", "name": "get_time", "input": {"tz": "CET"}},
        ]
        stop = "tool_use"
    else:
        content, stop = [{"type": "text", "text": "Sunny, 14:00."}], "end_turn"
    return {
        "id": f"msg_0{n}",
        "type": "message",
        "role": "assistant",
        "model": body["model"],
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 5},
    }


class _Handler(BaseHTTPRequestHandler):
    captured: list[bytes]

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers["content-length"]))
        self.captured.append(raw)
        out = json.dumps(_response(json.loads(raw))).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def server() -> Iterator[tuple[str, list[bytes]]]:
    captured: list[bytes] = []
    handler = type("H", (_Handler,), {"captured": captured})
    srv = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}", captured
    finally:
        srv.shutdown()
        srv.server_close()


def _loop(base_url: str, answer: str) -> None:
    client = anthropic.Anthropic(base_url=base_url, api_key="sk-test-not-a-key", max_retries=0)
    messages: list = [{"role": "user", "content": "Weather and time in Paris?"}]
    kw = {
        "model": "claude-opus-4-6",
        "max_tokens": 4096,
        "tools": TOOLS,
        "thinking": {"type": "enabled", "budget_tokens": 2048},
    }
    first = client.messages.create(messages=messages, **kw)
    messages.append({"role": "assistant", "content": first.content})  # passed back as-is
    calls = [b for b in first.content if b.type == "tool_use"]
    if answer == "all":
        results = [{"type": "tool_result", "tool_use_id": c.id, "content": "ok"} for c in reversed(calls)]
        messages.append({"role": "user", "content": results})
    elif answer == "one":
        messages.append(
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": calls[0].id, "content": "ok"}],
            }
        )
    else:
        messages.append({"role": "user", "content": "never mind, just tell me"})
    client.messages.create(messages=messages, **kw)


def test_correct_sdk_tool_loop_is_ok(server: tuple[str, list[bytes]]) -> None:
    url, captured = server
    _loop(url, "all")
    assert len(captured) == 2
    for raw in captured:
        a = analyze(raw)
        assert a.predicted == "ok", a.findings
    a = analyze(captured[1])
    assert (
        a.shape.tool_use_count == 2 and a.shape.tool_result_count == 2 and a.shape.thinking_block_count == 1
    )
    sk = skeleton(captured[1])
    assert [b["type"] for b in sk["messages"][1]["blocks"]] == ["thinking", "text", "tool_use", "tool_use"]
    assert "Two lookups" not in json.dumps(sk)


@pytest.mark.parametrize(
    ("answer", "missing"), [("none", "toolu_01AAA, toolu_01BBB"), ("one", "toolu_01BBB")]
)
def test_sdk_agent_bugs_are_predicted(server: tuple[str, list[bytes]], answer: str, missing: str) -> None:
    url, captured = server
    _loop(url, answer)
    a = analyze(captured[1])
    assert a.predicted == "error"
    (f,) = [f for f in a.findings if f.rule == "tool_result_missing"]
    assert f.path == "messages.2" and missing in f.message
