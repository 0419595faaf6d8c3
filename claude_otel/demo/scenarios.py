"""What each kind of demo agent asks for: its tools, its options, its request bodies, its tool results.

Pure: builds request bodies (plain dicts, as passed to ``client.messages.create``) and converts response
content blocks back into request blocks. No I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

MODEL = "claude-sonnet-4-6"  # the default; scenarios pick current (not deprecated) models
CODE_EXECUTION_TYPE = "code_execution_20250825"

_CITY = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
WEATHER = {"name": "get_weather", "description": "Current weather for a city.", "input_schema": _CITY}
TIME = {
    "name": "get_time",
    "description": "Current local time in an IANA timezone.",
    "input_schema": {"type": "object", "properties": {"tz": {"type": "string"}}, "required": ["tz"]},
}
SEARCH_DOCS = {
    "name": "search_docs",
    "description": "Search the internal documentation.",
    "input_schema": {
        "type": "object",
        "properties": {"query": {"type": "string"}, "limit": {"type": "integer"}},
        "required": ["query", "limit"],
    },
}
EXCHANGE = {
    "name": "get_exchange_rate",
    "description": "Exchange rate between two currencies.",
    "input_schema": {
        "type": "object",
        "properties": {"base": {"type": "string", "enum": ["EUR", "USD"]}, "quote": {"type": "string"}},
        "required": ["base", "quote"],
    },
}


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    prompt: str
    tools: tuple[Mapping[str, Any], ...]
    options: Mapping[str, Any] = field(default_factory=dict)  # extra top-level request fields
    max_tokens: int = 1024
    model: str = MODEL

    def body(self, messages: Sequence[Mapping[str, Any]], *, container: str | None = None) -> dict[str, Any]:
        """The request body for the next turn (a fresh dict each time; messages are not copied)."""
        body: dict[str, Any] = {
            "model": self.model,
            "max_tokens": self.max_tokens,
            "tools": [dict(t) for t in self.tools],
            "messages": list(messages),
            **self.options,
        }
        if container:
            body["container"] = container
        return body


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "tools",
            "Plan a day trip to Lyon: check the weather, the local time and the docs on trains.",
            (WEATHER, TIME, SEARCH_DOCS),
        ),
        Scenario(
            "thinking",
            "Think it through, then check the weather and the local time in Oslo.",
            (WEATHER, TIME),
            {"thinking": {"type": "enabled", "budget_tokens": 1024}},
            max_tokens=2048,
            model="claude-opus-4-5",
        ),
        Scenario(
            "code_execution",
            "Write code that fetches the weather for three cities and averages the temperatures.",
            (
                {"type": CODE_EXECUTION_TYPE, "name": "code_execution"},
                {**WEATHER, "allowed_callers": [CODE_EXECUTION_TYPE]},
            ),
            model="claude-haiku-4-5",
        ),
        Scenario(
            "tool_search",
            "Find a tool for currency exchange rates and get EUR to JPY.",
            (
                {"type": "tool_search_tool_regex_20251119", "name": "tool_search_tool_regex"},
                {**EXCHANGE, "defer_loading": True},
                {**WEATHER, "defer_loading": True},
                {**TIME, "defer_loading": True},
            ),
        ),
    )
}
SCENARIO_NAMES: tuple[str, ...] = tuple(SCENARIOS)

# Keys a request block of each type may carry (response-only fields such as ``citations: null`` dropped).
_BLOCK_KEYS: dict[str, tuple[str, ...]] = {
    "text": ("type", "text", "citations"),
    "thinking": ("type", "thinking", "signature"),
    "redacted_thinking": ("type", "data"),
    "tool_use": ("type", "id", "name", "input", "caller"),
    "server_tool_use": ("type", "id", "name", "input", "caller"),
}


def to_request_blocks(content: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Response content blocks (JSON dicts) -> request content blocks, replayed verbatim where it matters."""
    out: list[dict[str, Any]] = []
    for block in content:
        keys = _BLOCK_KEYS.get(str(block.get("type")))
        if keys is None:  # server tool results and other blocks are replayed as returned
            out.append({k: v for k, v in block.items() if v is not None})
        else:
            out.append({k: block[k] for k in keys if block.get(k) is not None})
    return out


def tool_results(content: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One ``tool_result`` per client ``tool_use`` block, in call order (fixed, content-free outputs)."""
    return [
        {"type": "tool_result", "tool_use_id": b["id"], "content": f"{b.get('name', 'tool')}: done"}
        for b in content
        if b.get("type") == "tool_use" and isinstance(b.get("id"), str)
    ]
