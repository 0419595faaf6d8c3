"""Well-formed request bodies, as the demo agents build them, for the fault-injector tests."""

from __future__ import annotations

from typing import Any

MODEL = "claude-sonnet-4-5"
WEATHER = {
    "name": "get_weather",
    "description": "Current weather for a city.",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}
TIME = {
    "name": "get_time",
    "description": "Current time in a timezone.",
    "input_schema": {"type": "object", "properties": {"tz": {"type": "string"}}, "required": ["tz"]},
}


def _use(tid: str, name: str, **inp: Any) -> dict[str, Any]:
    return {"type": "tool_use", "id": tid, "name": name, "input": inp}


def _result(tid: str, text: str = "ok") -> dict[str, Any]:
    return {"type": "tool_result", "tool_use_id": tid, "content": text}


def tool_loop(rounds: int = 2, parallel: int = 2) -> dict[str, Any]:
    """A client tool loop: ``rounds`` assistant turns with ``parallel`` calls each, all answered."""
    messages: list[dict[str, Any]] = [{"role": "user", "content": "Weather and time in Paris?"}]
    for r in range(rounds):
        ids = [f"toolu_{r}{p}abc" for p in range(parallel)]
        names = [("get_weather", {"city": "Paris"}), ("get_time", {"tz": "Europe/Paris"})]
        uses = [_use(tid, *names[p % 2][:1], **names[p % 2][1]) for p, tid in enumerate(ids)]
        messages.append({"role": "assistant", "content": [{"type": "text", "text": "Checking."}, *uses]})
        messages.append({"role": "user", "content": [_result(tid) for tid in ids]})
    return {"model": MODEL, "max_tokens": 1024, "tools": [WEATHER, TIME], "messages": messages}


def thinking_loop() -> dict[str, Any]:
    body = tool_loop(rounds=1, parallel=1)
    body["thinking"] = {"type": "enabled", "budget_tokens": 1024}
    body["max_tokens"] = 2048
    assistant = body["messages"][1]
    assistant["content"].insert(
        0, {"type": "thinking", "thinking": "Need the weather.", "signature": "c2lnbmF0dXJl"}
    )
    return body


def code_execution_loop() -> dict[str, Any]:
    """Programmatic tool calling: code execution called a client tool and paused for its result."""
    srv = "srvtoolu_01codeexec"
    tool = dict(WEATHER, allowed_callers=["code_execution_20250825"])
    assistant = {
        "role": "assistant",
        "content": [
            {"type": "server_tool_use", "id": srv, "name": "code_execution", "input": {"code": "print(1)"}},
            {
                "type": "tool_use",
                "id": "toolu_01fromcode",
                "name": "get_weather",
                "input": {"city": "Paris"},
                "caller": {"type": "code_execution_20250825", "tool_id": srv},
            },
        ],
    }
    return {
        "model": MODEL,
        "max_tokens": 1024,
        "container": "container_011Cdemo",
        "tools": [{"type": "code_execution_20250825", "name": "code_execution"}, tool],
        "messages": [
            {"role": "user", "content": "Compute with the weather."},
            assistant,
            {"role": "user", "content": [_result("toolu_01fromcode", "18C")]},
        ],
    }


def tool_search_loop() -> dict[str, Any]:
    """Tool search granted a deferred tool, which the assistant then called."""
    srv = "srvtoolu_01search"
    assistant = {
        "role": "assistant",
        "content": [
            {
                "type": "server_tool_use",
                "id": srv,
                "name": "tool_search_tool_regex",
                "input": {"pattern": "weather"},
            },
            {
                "type": "tool_search_tool_result",
                "tool_use_id": srv,
                "content": {
                    "type": "tool_search_tool_search_result",
                    "tool_references": [{"type": "tool_reference", "tool_name": "get_weather"}],
                },
            },
            _use("toolu_01deferred", "get_weather", city="Paris"),
        ],
    }
    return {
        "model": MODEL,
        "max_tokens": 1024,
        "tools": [
            {"type": "tool_search_tool_regex_20251119", "name": "tool_search_tool_regex"},
            dict(WEATHER, defer_loading=True),
            dict(TIME, defer_loading=True),
        ],
        "messages": [
            {"role": "user", "content": "Weather in Paris?"},
            assistant,
            {"role": "user", "content": [_result("toolu_01deferred", "18C")]},
        ],
    }


CLEAN = {
    "tools": tool_loop,
    "thinking": thinking_loop,
    "code_execution": code_execution_loop,
    "tool_search": tool_search_loop,
}
