"""Builders for real Messages API request bodies used by the core tests (bytes, as sent on the wire)."""

from __future__ import annotations

from typing import Any

import orjson

MODEL = "claude-sonnet-4-5-20250929"
SIG = "EqQBCkgIARABGAIiQL0sig0123456789abcdefABCDEF"

WEATHER = {
    "name": "get_weather",
    "description": "Weather for a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}
SEARCH = {
    "name": "search_docs",
    "description": "Search the docs",
    "input_schema": {"type": "object", "properties": {"q": {"type": "string"}}},
}
TOOLS = [WEATHER, SEARCH]


def user(content: Any) -> dict:
    return {"role": "user", "content": content}


def asst(content: Any) -> dict:
    return {"role": "assistant", "content": content}


def system_msg(text: str) -> dict:
    return {"role": "system", "content": text}


def txt(text: str) -> dict:
    return {"type": "text", "text": text}


def tu(tid: str, name: str = "get_weather", inp: Any = None, **extra: Any) -> dict:
    return {
        "type": "tool_use",
        "id": tid,
        "name": name,
        "input": {"city": "Paris"} if inp is None else inp,
        **extra,
    }


def tr(tid: str, content: Any = "18C and sunny", **extra: Any) -> dict:
    return {"type": "tool_result", "tool_use_id": tid, "content": content, **extra}


def think(text: str = "Let me think about the weather.", sig: str = SIG) -> dict:
    return {"type": "thinking", "thinking": text, "signature": sig}


def srv_use(sid: str, name: str = "web_search", inp: Any = None) -> dict:
    return {"type": "server_tool_use", "id": sid, "name": name, "input": inp or {"query": "paris weather"}}


def web_result(sid: str) -> dict:
    return {
        "type": "web_search_tool_result",
        "tool_use_id": sid,
        "content": [
            {
                "type": "web_search_result",
                "url": "https://example.com/w",
                "title": "Weather",
                "encrypted_content": "Eo8BCioIAhgBIiQ",
                "page_age": None,
            }
        ],
    }


def body(messages: list, *, tools: list | None = TOOLS, model: str = MODEL, **kw: Any) -> dict:
    b: dict[str, Any] = {"model": model, "max_tokens": 4096, "messages": messages}
    if tools is not None:
        b["tools"] = tools
    b.update(kw)
    return b


def tool_loop(*, n_calls: int = 1, order: list[int] | None = None) -> list:
    """A valid tool loop: user question, assistant calls, user results (in `order`), assistant answer."""
    ids = [f"toolu_0{k}ABC" for k in range(n_calls)]
    calls = [tu(i) for i in ids]
    order = order if order is not None else list(range(n_calls))
    return [
        user("What's the weather in Paris?"),
        asst([txt("Checking."), *calls]),
        user([tr(ids[k]) for k in order]),
    ]


def wire(b: dict) -> bytes:
    return orjson.dumps(b)
