"""Server-held threads (beta message-threads): the SDK's tool runner, which continues each reply with only
the new messages, runs whole loops against the mock, and recovers from a lost thread with the error code
the SDK expects."""

from __future__ import annotations

import asyncio

import anthropic
import pytest
from anthropic import beta_async_tool, beta_tool
from mockutil import post

from claude_otel.mock import MockServer
from claude_otel.mock.threads import THREADS_BETA, ThreadStore

MODEL = "claude-opus-4-8"
BETA = {"anthropic-beta": THREADS_BETA}
TOOLS = [
    {
        "name": "get_weather",
        "description": "Current weather.",
        "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    }
]


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_sdk_tool_runner_completes_on_threads(server: MockServer, stream: bool) -> None:
    calls: list[str] = []

    @beta_tool
    def get_weather(city: str) -> str:
        """Current weather for a city.

        Args:
            city: the city
        """
        calls.append(city)
        return "18 degrees"

    before = dict(server.stats)
    client = anthropic.Anthropic(base_url=server.base_url, api_key="test", max_retries=0)
    runner = client.beta.messages.tool_runner(
        model=MODEL, max_tokens=1024, tools=[get_weather], messages=[{"role": "user", "content": "Weather?"}],
        stream=stream,
    )  # fmt: skip
    stop_reasons = []
    for item in runner:
        if stream:
            for _ in item:
                pass
            stop_reasons.append(item.get_final_message().stop_reason)
        else:
            stop_reasons.append(item.stop_reason)
    assert stop_reasons == ["tool_use", "tool_use", "end_turn"]
    assert len(calls) == 2
    new_threaded = server.stats["thread_requests"] - before.get("thread_requests", 0)
    assert new_threaded == 3, "every turn went out on the thread"


def test_async_tool_runner_completes_on_threads(server: MockServer) -> None:
    @beta_async_tool
    async def get_weather(city: str) -> str:
        """Current weather for a city.

        Args:
            city: the city
        """
        return "18 degrees"

    async def run() -> list[str]:
        async with anthropic.AsyncAnthropic(
            base_url=server.base_url, api_key="test", max_retries=0
        ) as client:
            runner = client.beta.messages.tool_runner(
                model=MODEL,
                max_tokens=1024,
                tools=[get_weather],
                messages=[{"role": "user", "content": "Hi"}],
            )
            return [message.stop_reason async for message in runner]

    assert asyncio.run(run()) == ["tool_use", "tool_use", "end_turn"]


def test_sdk_replays_the_history_when_the_thread_is_lost(server: MockServer) -> None:
    state = server.app.state.mock

    @beta_tool
    def get_weather(city: str) -> str:
        """Current weather for a city.

        Args:
            city: the city
        """
        state.threads = ThreadStore()  # the server forgets every thread while the tool runs
        return "18 degrees"

    before = server.stats["error:thread_not_found"]
    client = anthropic.Anthropic(base_url=server.base_url, api_key="test", max_retries=0)
    runner = client.beta.messages.tool_runner(
        model=MODEL, max_tokens=1024, tools=[get_weather], messages=[{"role": "user", "content": "Weather?"}]
    )
    assert [m.stop_reason for m in runner] == ["tool_use", "tool_use", "end_turn"]
    assert server.stats["error:thread_not_found"] - before == 2, (
        "each lost thread was answered, then replayed"
    )


def _create(server: MockServer) -> dict:
    body = {"model": MODEL, "max_tokens": 256, "tools": TOOLS, "thread": {"type": "create"},
            "messages": [{"role": "user", "content": "Weather?"}]}  # fmt: skip
    response = post(server, body, **BETA)
    assert response.status_code == 200, response.text
    return response.json()


def _continue(server: MockServer, previous: str, messages: list, **extra: object):
    body = {"model": MODEL, "max_tokens": 256, "messages": messages,
            "thread": {"type": "continue", "previous_message_id": previous}, **extra}  # fmt: skip
    return post(server, body, **BETA)


def _results(reply: dict, ids: list[str] | None = None) -> list:
    tool_ids = ids or [b["id"] for b in reply["content"] if b["type"] == "tool_use"]
    return [
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": i, "content": "ok"} for i in tool_ids],
        }
    ]


def test_a_reply_is_continued_once(server: MockServer) -> None:
    reply = _create(server)
    assert _continue(server, reply["id"], _results(reply)).status_code == 200
    again = _continue(server, reply["id"], _results(reply))
    assert again.status_code == 400
    assert again.json()["error"]["details"] == {"error_code": "thread_already_continued"}


def test_unknown_thread_is_thread_not_found(server: MockServer) -> None:
    response = _continue(server, "msg_01NoSuchReply", [{"role": "user", "content": "Hi"}])
    assert response.status_code == 404
    assert response.json()["error"]["details"] == {"error_code": "thread_not_found"}


def test_continuation_results_are_checked_against_the_held_history(server: MockServer) -> None:
    reply = _create(server)
    response = _continue(server, reply["id"], _results(reply, ["toolu_01NotFromThisThread"]))
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert "`tool_use` ids were found without `tool_result` blocks immediately after" in message


def test_continuation_may_not_repeat_tools_and_thread_needs_its_beta(server: MockServer) -> None:
    reply = _create(server)
    response = _continue(server, reply["id"], _results(reply), tools=TOOLS)
    assert response.status_code == 400
    assert "takes `tools` from the thread" in response.json()["error"]["message"]
    body = {
        "model": MODEL,
        "max_tokens": 64,
        "thread": {"type": "create"},
        "messages": [{"role": "user", "content": "x"}],
    }
    response = post(server, body)
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "thread: Extra inputs are not permitted"
