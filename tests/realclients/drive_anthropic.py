"""Drive the ``anthropic`` Python SDK through one scenario against a Messages API (run by record.py with
the SDK installed in a throw-away venv: ``python drive_anthropic.py SCENARIO BASE_URL``)."""

from __future__ import annotations

import sys
from typing import Any

import anthropic
from anthropic import beta_tool

MODEL = "claude-sonnet-4-5-20250929"
TOOLS: list[dict[str, Any]] = [
    {
        "name": "get_weather",
        "description": "The current weather in a city.",
        "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
    {
        "name": "get_time",
        "description": "The local time in a city.",
        "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
]
PROMPT = "What is the weather and the local time in Lisbon?"


def results_for(content: list[Any]) -> list[dict[str, Any]]:
    return [
        {"type": "tool_result", "tool_use_id": b.id, "content": f"{b.name}: sunny, 21C"}
        for b in content
        if b.type == "tool_use"
    ]


def manual_loop(client: anthropic.Anthropic, **extra: Any) -> None:
    messages: list[dict[str, Any]] = [{"role": "user", "content": PROMPT}]
    for _ in range(6):
        reply = client.messages.create(model=MODEL, max_tokens=4096, tools=TOOLS, messages=messages, **extra)
        messages.append({"role": "assistant", "content": reply.content})
        if reply.stop_reason != "tool_use":
            break
        messages.append({"role": "user", "content": results_for(reply.content)})
    messages.append({"role": "user", "content": "Thanks. Anything else worth knowing?"})
    client.messages.create(model=MODEL, max_tokens=4096, tools=TOOLS, messages=messages, **extra)


def streamed_loop(client: anthropic.Anthropic, **extra: Any) -> None:
    messages: list[dict[str, Any]] = [{"role": "user", "content": PROMPT}]
    for _ in range(6):
        with client.messages.stream(
            model=MODEL, max_tokens=4096, tools=TOOLS, messages=messages, **extra
        ) as stream:
            for _event in stream:
                pass
            reply = stream.get_final_message()
        messages.append({"role": "assistant", "content": reply.content})
        if reply.stop_reason != "tool_use":
            break
        messages.append({"role": "user", "content": results_for(reply.content)})


@beta_tool
def get_weather(city: str) -> str:
    """The current weather in a city.

    Args:
        city: the city's name
    """
    return f"sunny in {city}"


@beta_tool
def get_time(city: str) -> str:
    """The local time in a city.

    Args:
        city: the city's name
    """
    return f"12:00 in {city}"


def tool_runner(client: anthropic.Anthropic, stream: bool = False, **extra: Any) -> None:
    runner = client.beta.messages.tool_runner(
        model=MODEL,
        max_tokens=4096,
        tools=[get_weather, get_time],
        messages=[{"role": "user", "content": PROMPT}],
        stream=stream,
        **extra,
    )
    for item in runner:
        if stream:
            for _event in item:
                pass


def conversation(client: anthropic.Anthropic) -> None:
    system = [
        {"type": "text", "text": "You are a terse assistant."},
        {"type": "text", "text": "Answer in one sentence.", "cache_control": {"type": "ephemeral"}},
    ]
    messages: list[dict[str, Any]] = []
    for question in ("Name a prime number.", "And a larger one?", "Which is bigger?"):
        messages.append({"role": "user", "content": [{"type": "text", "text": question}]})
        reply = client.messages.create(model=MODEL, max_tokens=512, system=system, messages=messages)
        messages.append({"role": "assistant", "content": [b.model_dump() for b in reply.content]})
    # a prefill on a model that supports it
    messages.append({"role": "user", "content": "Reply with a JSON object."})
    messages.append({"role": "assistant", "content": "{"})
    client.messages.create(model=MODEL, max_tokens=512, system=system, messages=messages)


def tool_choice(client: anthropic.Anthropic) -> None:
    messages: list[dict[str, Any]] = [{"role": "user", "content": PROMPT}]
    choice: dict[str, Any] = {"type": "tool", "name": "get_weather", "disable_parallel_tool_use": True}
    reply = client.messages.create(
        model=MODEL, max_tokens=1024, tools=TOOLS, tool_choice=choice, messages=messages
    )
    messages.append({"role": "assistant", "content": reply.content})
    messages.append({"role": "user", "content": results_for(reply.content)})
    client.messages.create(
        model=MODEL, max_tokens=1024, tools=TOOLS, tool_choice={"type": "none"}, messages=messages
    )


THINKING = {"thinking": {"type": "enabled", "budget_tokens": 2048}}
SCENARIOS = {
    "manual-loop": lambda c: manual_loop(c),
    "manual-loop-thinking": lambda c: manual_loop(c, **THINKING),
    "stream-loop": lambda c: streamed_loop(c),
    "stream-loop-thinking": lambda c: streamed_loop(c, **THINKING),
    "tool-runner": lambda c: tool_runner(c),
    "tool-runner-stream": lambda c: tool_runner(c, stream=True),
    "tool-runner-thinking": lambda c: tool_runner(c, **THINKING),
    "conversation-prefill": conversation,
    "tool-choice": tool_choice,
}


def main() -> None:
    scenario, base_url = sys.argv[1], sys.argv[2]
    client = anthropic.Anthropic(base_url=base_url, api_key="test", max_retries=0)
    SCENARIOS[scenario](client)


if __name__ == "__main__":
    main()
