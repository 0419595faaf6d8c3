"""The official anthropic SDK runs whole tool loops against the mock: sync and async, JSON and SSE,
with thinking, code execution + container, tool search + deferred tools and pause_turn."""

from __future__ import annotations

import asyncio
from typing import Any

import anthropic
import pytest

from claude_otel.mock import MockConfig, MockServer

MODEL = "claude-opus-4-8"
WEATHER = {
    "name": "get_weather",
    "description": "Current weather.",
    "input_schema": {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            "days": {"type": "integer", "minimum": 1},
            "tags": {"type": "array", "items": {"type": "string"}},
            "where": {
                "type": "object",
                "properties": {"lat": {"type": "number"}, "exact": {"type": "boolean"}},
                "required": ["lat", "exact"],
            },
            "optional_note": {"type": "string"},
        },
        "required": ["city", "unit", "days", "tags", "where"],
    },
}
TIME = {
    "name": "get_time",
    "description": "Current time.",
    "input_schema": {"type": "object", "properties": {"tz": {"type": "string"}}, "required": ["tz"]},
}
_TYPES = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "array": list,
    "object": dict,
}


def satisfies(value: Any, schema: dict) -> bool:
    """A small JSON-schema check: type, enum, required, nested properties and items."""
    if "enum" in schema and value not in schema["enum"]:
        return False
    kind = schema.get("type")
    if kind and not isinstance(value, _TYPES[kind]):
        return False
    if kind == "object":
        props = schema.get("properties", {})
        if not set(schema.get("required", [])) <= set(value):
            return False
        return all(satisfies(v, props[k]) for k, v in value.items() if k in props)
    if kind == "array":
        return all(satisfies(v, schema.get("items", {})) for v in value)
    return True


def as_param(message: anthropic.types.Message) -> dict:
    return {
        "role": "assistant",
        "content": [b.model_dump(mode="json", exclude_none=True) for b in message.content],
    }


def results_for(message: anthropic.types.Message) -> dict:
    content = [
        {"type": "tool_result", "tool_use_id": b.id, "content": f"result of {b.name}"}
        for b in message.content
        if b.type == "tool_use"
    ]
    return {"role": "user", "content": content}


def call_sync(client: anthropic.Anthropic, stream: bool, **params: Any) -> anthropic.types.Message:
    if not stream:
        return client.messages.create(**params)
    with client.messages.stream(**params) as events:
        kinds = {event.type for event in events}
        assert {"message_start", "content_block_start", "message_delta", "message_stop"} <= kinds
        return events.get_final_message()


async def call_async(
    client: anthropic.AsyncAnthropic, stream: bool, **params: Any
) -> anthropic.types.Message:
    if not stream:
        return await client.messages.create(**params)
    async with client.messages.stream(**params) as events:
        async for _ in events:
            pass
        return await events.get_final_message()


def run_loop(
    server: MockServer, stream: bool, use_async: bool, **extra: Any
) -> list[anthropic.types.Message]:
    """Run a tool loop to the final answer; return every response."""
    messages: list[dict] = [{"role": "user", "content": "Weather and time in Paris?"}]
    params = {"model": MODEL, "max_tokens": 4096, "tools": [WEATHER, TIME], **extra}
    responses: list[anthropic.types.Message] = []

    async def run_async() -> None:
        async with anthropic.AsyncAnthropic(
            base_url=server.base_url, api_key="test", max_retries=0
        ) as client:
            while len(responses) < 10:
                response = await call_async(client, stream, messages=messages, **params)
                responses.append(response)
                if response.stop_reason != "tool_use":
                    return
                messages.extend([as_param(response), results_for(response)])

    if use_async:
        asyncio.run(run_async())
        return responses
    with anthropic.Anthropic(base_url=server.base_url, api_key="test", max_retries=0) as client:
        while len(responses) < 10:
            response = call_sync(client, stream, messages=messages, **params)
            responses.append(response)
            if response.stop_reason != "tool_use":
                break
            messages.extend([as_param(response), results_for(response)])
    return responses


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_tool_loop_completes(server: MockServer, stream: bool, use_async: bool) -> None:
    responses = run_loop(server, stream, use_async)
    assert [r.stop_reason for r in responses] == ["tool_use", "tool_use", "end_turn"]
    calls = [b for r in responses for b in r.content if b.type == "tool_use"]
    assert len(calls) == 3, "one call in the first round, two parallel calls in the second"
    assert {c.name for c in calls} == {"get_weather", "get_time"}
    schemas = {"get_weather": WEATHER["input_schema"], "get_time": TIME["input_schema"]}
    for call in calls:
        assert satisfies(call.input, schemas[call.name]), (call.name, call.input)
        assert call.id.startswith("toolu_")
    assert responses[-1].content[-1].type == "text"
    assert all(r.id.startswith("msg_") and r.usage.output_tokens > 0 for r in responses)


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_thinking_loop_replays_signed_thinking(server: MockServer, stream: bool) -> None:
    thinking = {"type": "enabled", "budget_tokens": 2048}
    responses = run_loop(server, stream, False, thinking=thinking)
    assert responses[-1].stop_reason == "end_turn"
    for response in responses:
        assert response.content[0].type == "thinking"
        assert response.content[0].signature


def test_stripping_thinking_in_a_tool_loop_is_rejected(server: MockServer) -> None:
    client = anthropic.Anthropic(base_url=server.base_url, api_key="test", max_retries=0)
    thinking = {"type": "enabled", "budget_tokens": 2048}
    messages: list[dict] = [{"role": "user", "content": "Weather?"}]
    first = client.messages.create(
        model=MODEL, max_tokens=4096, tools=[WEATHER], thinking=thinking, messages=messages
    )
    stripped = as_param(first)
    stripped["content"] = [b for b in stripped["content"] if b["type"] != "thinking"]
    with pytest.raises(anthropic.BadRequestError) as caught:
        client.messages.create(
            model=MODEL, max_tokens=4096, tools=[WEATHER], thinking=thinking,
            messages=[*messages, stripped, results_for(first)],
        )  # fmt: skip
    assert "Expected `thinking` or `redacted_thinking`, but found `text`" in str(caught.value)
    edited = as_param(first)
    edited["content"][0]["thinking"] += " (edited)"
    with pytest.raises(anthropic.BadRequestError, match="cannot be modified"):
        client.messages.create(
            model=MODEL, max_tokens=4096, tools=[WEATHER], thinking=thinking,
            messages=[*messages, edited, results_for(first)],
        )  # fmt: skip


CODE_TOOL = {"type": "code_execution_20250825", "name": "code_execution"}


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_programmatic_call_requires_the_container_on_continuation(server: MockServer, stream: bool) -> None:
    client = anthropic.Anthropic(base_url=server.base_url, api_key="test", max_retries=0)
    tool = {**TIME, "allowed_callers": ["code_execution_20250825"]}
    messages: list[dict] = [{"role": "user", "content": "Time in Paris, computed in code?"}]
    params = {"model": MODEL, "max_tokens": 4096, "tools": [CODE_TOOL, tool]}
    first = call_sync(client, stream, messages=messages, **params)
    assert first.stop_reason == "tool_use"
    assert [b.type for b in first.content] == ["text", "server_tool_use", "tool_use"]
    call = first.content[2]
    assert call.caller is not None and call.caller.tool_id == first.content[1].id
    assert first.container is not None and first.container.id.startswith("container_011C")
    follow = [*messages, as_param(first), results_for(first)]
    with pytest.raises(anthropic.BadRequestError) as caught:
        call_sync(client, stream, messages=follow, **params)
    assert caught.value.body["error"]["message"] == (
        "container_id is required when there are pending tool uses generated by code execution with tools."
    )
    done = call_sync(client, stream, messages=follow, container=first.container.id, **params)
    assert done.stop_reason == "end_turn"
    assert done.content[0].type == "code_execution_tool_result"
    assert done.content[0].tool_use_id == first.content[1].id
    final = call_sync(
        client, stream, messages=[*follow, as_param(done), {"role": "user", "content": "Thanks!"}], **params
    )
    assert final.stop_reason in ("tool_use", "end_turn"), "the completed code-execution history is valid"
    assert "server_tool_use" not in [b.type for b in final.content], "code ran once already"


@pytest.mark.parametrize("fresh_server", [MockConfig(pause_turn_rate=1.0)], indirect=True)
def test_code_execution_pause_turn_then_continuation(fresh_server: MockServer) -> None:
    client = anthropic.Anthropic(base_url=fresh_server.base_url, api_key="test", max_retries=0)
    messages: list[dict] = [{"role": "user", "content": "Compute 6*7."}]
    params = {"model": "claude-sonnet-4-6", "max_tokens": 4096, "tools": [CODE_TOOL]}
    paused = call_sync(client, True, messages=messages, **params)
    assert paused.stop_reason == "pause_turn"
    assert paused.content[-1].type == "server_tool_use"
    assert paused.container is not None, "streamed container arrives in message_delta"
    resumed = call_sync(
        client, False, messages=[*messages, as_param(paused)], container=paused.container.id, **params
    )
    assert resumed.stop_reason == "end_turn"
    assert resumed.content[0].type == "bash_code_execution_tool_result"


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_tool_search_grants_a_deferred_tool(server: MockServer, stream: bool) -> None:
    client = anthropic.Anthropic(base_url=server.base_url, api_key="test", max_retries=0)
    search = {"type": "tool_search_tool_regex_20251119", "name": "tool_search_tool_regex"}
    tools = [search, {**WEATHER, "defer_loading": True}]
    messages: list[dict] = [{"role": "user", "content": "Weather?"}]
    first = call_sync(client, stream, model=MODEL, max_tokens=4096, tools=tools, messages=messages)
    types = [b.type for b in first.content]
    assert types == ["text", "server_tool_use", "tool_search_tool_result", "tool_use"]
    assert first.content[2].content.tool_references[0].tool_name == "get_weather"
    assert first.content[3].name == "get_weather"
    follow = [*messages, as_param(first), results_for(first)]
    done = call_sync(client, stream, model=MODEL, max_tokens=4096, tools=tools, messages=follow)
    assert done.stop_reason in ("tool_use", "end_turn")
    with pytest.raises(anthropic.BadRequestError, match="Tool reference 'get_weather' not found"):
        call_sync(client, stream, model=MODEL, max_tokens=4096, tools=[search, TIME], messages=follow)


WEB_SEARCH = {"type": "web_search_20250305", "name": "web_search", "max_uses": 2}


@pytest.mark.parametrize("fresh_server", [MockConfig(pause_turn_rate=1.0)], indirect=True)
@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_web_search_pauses_then_continues(fresh_server: MockServer, stream: bool) -> None:
    client = anthropic.Anthropic(base_url=fresh_server.base_url, api_key="test", max_retries=0)
    messages: list[dict] = [{"role": "user", "content": "News?"}]
    params = {"model": MODEL, "max_tokens": 4096, "tools": [WEB_SEARCH]}
    paused = call_sync(client, stream, messages=messages, **params)
    assert paused.stop_reason == "pause_turn"
    assert paused.content[-1].type == "server_tool_use" and paused.content[-1].name == "web_search"
    follow = [*messages, as_param(paused)]  # re-sent as-is, no extra user message
    resumed = call_sync(client, stream, messages=follow, **params)
    assert resumed.stop_reason == "end_turn"
    assert resumed.content[0].type == "web_search_tool_result"
    assert resumed.content[0].tool_use_id == paused.content[-1].id
    history = [*follow, as_param(resumed), {"role": "user", "content": "Thanks."}]
    assert call_sync(client, stream, messages=history, **params).stop_reason == "end_turn"
    dropped = [*messages, {"role": "assistant", "content": as_param(paused)["content"]}, history[-1]]
    with pytest.raises(anthropic.BadRequestError, match="was found without a corresponding"):
        call_sync(client, stream, messages=dropped, **params)
