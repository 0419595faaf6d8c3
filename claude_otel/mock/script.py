"""What the scripted assistant answers, decided from the request alone (deterministic per transcript).

Order of preference for a user turn: finish a code-execution call that waited for a client tool; run
code execution once when a code-execution tool is offered (calling a client tool from the sandbox when one
allows it, or pausing with ``pause_turn`` now and then); search for a deferred tool once when a tool-search
tool is offered, then call it; search the web once when web search is offered (pausing now and then);
call offered client tools for ``tool_rounds`` rounds; answer with text. A request ending with an assistant
turn is continued: a paused server tool gets its result, a prefill gets more text.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from .config import MockConfig
from .facts import CODE_EXECUTION_NAMES, container_id, is_custom_tool, thinking_mode, tool_references
from .ids import IdFactory
from .ledger import ThinkingLedger
from .schema import example_object
from .transcript import CLIENT_TOOL_USE, Transcript

CONTAINER_LIFETIME = timedelta(minutes=5)


@dataclass
class Reply:
    content: list[dict[str, Any]]
    stop_reason: str
    container: dict[str, Any] | None = None


@dataclass
class _Context:
    body: Mapping[str, Any]
    transcript: Transcript
    config: MockConfig
    ids: IdFactory
    tools: list[Mapping[str, Any]]

    @property
    def choice(self) -> str:
        choice = self.body.get("tool_choice")
        return str(choice.get("type", "auto")) if isinstance(choice, Mapping) else "auto"

    def tool_of_type(self, prefix: str) -> Mapping[str, Any] | None:
        return next((t for t in self.tools if str(t.get("type", "")).startswith(prefix)), None)

    def callable_tools(self) -> list[Mapping[str, Any]]:
        referenced = set(tool_references(self.transcript))
        usable = [
            t
            for t in self.tools
            if is_custom_tool(t) and (t.get("defer_loading") is not True or t.get("name") in referenced)
        ]
        choice = self.body.get("tool_choice")
        if isinstance(choice, Mapping) and choice.get("type") == "tool":
            return [t for t in usable if t.get("name") == choice.get("name")]
        preferred = [t for name in self.config.prefer_tools for t in usable if t.get("name") == name]
        return preferred or usable

    def history_has(self, *block_types: str) -> bool:
        return any(b.type in block_types for t in self.transcript.turns for b in t.blocks)

    def tool_rounds_done(self) -> int:
        return sum(
            1 for t in self.transcript.turns if t.role == "assistant" and any(t.of_type(CLIENT_TOOL_USE))
        )

    def chance(self, rate: float, salt: str) -> bool:
        if rate <= 0:
            return False
        key = f"{self.config.seed}:{salt}:{len(self.transcript.raw)}:{len(self.tools)}"
        return random.Random(key).random() < rate

    def tool_input(self, tool: Mapping[str, Any]) -> dict[str, Any]:
        fixed = self.config.tool_inputs.get(str(tool.get("name")))
        if fixed is not None:
            return dict(fixed)
        schema = tool.get("input_schema")
        return example_object(schema) if isinstance(schema, Mapping) else {}

    def new_container(self) -> dict[str, Any]:
        given = container_id(self.body)
        expires = datetime.now(timezone.utc) + CONTAINER_LIFETIME
        return {"id": given or self.ids.container(), "expires_at": expires.isoformat().replace("+00:00", "Z")}


def _text(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def _code_result(name: str, tool_use_id: str, stdout: str) -> dict[str, Any]:
    kind = "bash_code_execution" if name == "bash_code_execution" else "code_execution"
    result = {"type": f"{kind}_result", "stdout": stdout, "stderr": "", "return_code": 0, "content": []}
    return {"type": f"{kind}_tool_result", "tool_use_id": tool_use_id, "content": result}


def _web_search_result(tool_use_id: str) -> dict[str, Any]:
    result = {
        "type": "web_search_result",
        "url": "https://example.com/weather",
        "title": "Example result",
        "encrypted_content": "RXhhbXBsZSBlbmNyeXB0ZWQgY29udGVudA==",
        "page_age": None,
    }
    return {"type": "web_search_tool_result", "tool_use_id": tool_use_id, "content": [result]}


def _web_search_turn(ctx: _Context) -> Reply:
    srv_id = ctx.ids.server_tool_use()
    call = {
        "type": "server_tool_use",
        "id": srv_id,
        "name": "web_search",
        "input": {"query": "example query"},
    }
    if ctx.chance(ctx.config.pause_turn_rate, "pause-search"):
        return Reply([_text("Searching the web."), call], "pause_turn")
    done = _text("The search found one result.")
    return Reply([_text("Searching the web."), call, _web_search_result(srv_id), done], "end_turn")


def _pending_code_call(ctx: _Context) -> Mapping[str, Any] | None:
    """The unresolved code-execution server_tool_use of the previous assistant turn, if any."""
    turns = ctx.transcript.turns
    if len(turns) < 2 or turns[-2].role != "assistant":
        return None
    turn = turns[-2]
    resolved = {b.data.get("tool_use_id") for b in turn.blocks if b.type.endswith("_tool_result")}
    for block in turn.of_type("server_tool_use"):
        if block.data.get("name") in CODE_EXECUTION_NAMES and block.data.get("id") not in resolved:
            return block.data
    return None


def _client_calls(ctx: _Context, tools: Sequence[Mapping[str, Any]], round_index: int) -> list[dict]:
    choice = ctx.body.get("tool_choice")
    single = isinstance(choice, Mapping) and choice.get("disable_parallel_tool_use") is True
    count = 1 if single else min(len(tools), 1 + round_index % ctx.config.max_parallel_tool_calls)
    start = round_index % len(tools)
    picked = [tools[(start + k) % len(tools)] for k in range(count)]
    return [
        {"type": "tool_use", "id": ctx.ids.tool_use(), "name": t["name"], "input": ctx.tool_input(t)}
        for t in picked
    ]


def _code_execution_turn(ctx: _Context, tool: Mapping[str, Any]) -> Reply:
    tool_type = str(tool.get("type"))
    srv_id = ctx.ids.server_tool_use()
    container = ctx.new_container()
    callers = [
        t
        for t in ctx.callable_tools()
        if any(str(c).startswith("code_execution") for c in t.get("allowed_callers") or [])
    ]
    if callers and ctx.config.programmatic_calls:
        target = callers[0]
        call = {
            "type": "server_tool_use",
            "id": srv_id,
            "name": "code_execution",
            "input": {"code": f"result = await {target['name']}()\nprint(result)"},
        }
        client = {
            "type": "tool_use",
            "id": ctx.ids.tool_use(),
            "name": target["name"],
            "input": ctx.tool_input(target),
            "caller": {"type": tool_type, "tool_id": srv_id},
        }
        return Reply([_text("I'll run code that calls a tool."), call, client], "tool_use", container)
    name = "code_execution" if tool_type == "code_execution_20250522" else "bash_code_execution"
    code_input = {"code": "print(6 * 7)"} if name == "code_execution" else {"command": "echo 42"}
    call = {"type": "server_tool_use", "id": srv_id, "name": name, "input": code_input}
    if ctx.chance(ctx.config.pause_turn_rate, "pause"):
        return Reply([_text("Running code."), call], "pause_turn", container)
    result = _code_result(name, srv_id, "42\n")
    return Reply([_text("Running code."), call, result, _text("The code printed 42.")], "end_turn", container)


def _tool_search_turn(ctx: _Context, tool: Mapping[str, Any], deferred: Mapping[str, Any]) -> Reply:
    srv_id = ctx.ids.server_tool_use()
    name = "tool_search_tool_bm25" if "bm25" in str(tool.get("type")) else "tool_search_tool_regex"
    query = {"query": str(deferred["name"])} if "bm25" in name else {"pattern": str(deferred["name"])}
    reference = {"type": "tool_reference", "tool_name": deferred["name"]}
    result = {
        "type": "tool_search_tool_result",
        "tool_use_id": srv_id,
        "content": {"type": "tool_search_tool_search_result", "tool_references": [reference]},
    }
    call = {
        "type": "tool_use",
        "id": ctx.ids.tool_use(),
        "name": deferred["name"],
        "input": ctx.tool_input(deferred),
    }
    search = {"type": "server_tool_use", "id": srv_id, "name": name, "input": query}
    return Reply([_text("Let me find the right tool."), search, result, call], "tool_use")


def _continue_assistant(ctx: _Context) -> Reply:
    last = ctx.transcript.turns[-1]
    final = last.blocks[-1].data if last.blocks else {}
    if final.get("type") == "server_tool_use" and final.get("name") in CODE_EXECUTION_NAMES:
        result = _code_result(str(final.get("name")), str(final.get("id")), "42\n")
        return Reply([result, _text("The code printed 42.")], "end_turn", ctx.new_container())
    if final.get("type") == "server_tool_use" and final.get("name") == "web_search":
        result = _web_search_result(str(final.get("id")))
        return Reply([result, _text("The search found one result.")], "end_turn")
    return Reply([_text("and that completes the answer.")], "end_turn")


def _answer_user(ctx: _Context) -> Reply:
    pending = _pending_code_call(ctx)
    if pending is not None:
        result = _code_result(str(pending.get("name")), str(pending.get("id")), "tool results received\n")
        return Reply(
            [result, _text("The code finished with the tool results.")], "end_turn", ctx.new_container()
        )
    if ctx.choice != "none":
        code_tool = ctx.tool_of_type("code_execution_")
        code_blocks = ("code_execution_tool_result", "bash_code_execution_tool_result")
        if code_tool is not None and not ctx.history_has(*code_blocks) and ctx.choice == "auto":
            return _code_execution_turn(ctx, code_tool)
        search_tool = ctx.tool_of_type("tool_search_tool")
        referenced = set(tool_references(ctx.transcript))
        deferred = [
            t
            for t in ctx.tools
            if is_custom_tool(t) and t.get("defer_loading") is True and t.get("name") not in referenced
        ]
        if search_tool is not None and deferred and not ctx.history_has("tool_search_tool_result"):
            return _tool_search_turn(ctx, search_tool, deferred[0])
        web_search = ctx.tool_of_type("web_search_")
        if web_search is not None and ctx.choice == "auto" and not ctx.history_has("web_search_tool_result"):
            return _web_search_turn(ctx)
        tools = ctx.callable_tools()
        rounds = ctx.tool_rounds_done()
        forced = ctx.choice in ("any", "tool")
        if tools and (rounds < ctx.config.tool_rounds or forced):
            calls = _client_calls(ctx, tools, rounds)
            names = ", ".join(sorted({c["name"] for c in calls}))
            return Reply([_text(f"I'll use {names}."), *calls], "tool_use")
    return Reply([_text(f"Done after {ctx.tool_rounds_done()} tool rounds.")], "end_turn")


def decide(
    body: Mapping[str, Any],
    transcript: Transcript,
    config: MockConfig,
    ids: IdFactory,
    ledger: ThinkingLedger,
    response_id: str,
) -> Reply:
    """The scripted assistant turn for this request (thinking first when thinking is on)."""
    tools = [t for t in body.get("tools") or [] if isinstance(t, Mapping)]
    ctx = _Context(body, transcript, config, ids, tools)
    last = transcript.last
    reply = _continue_assistant(ctx) if last is not None and last.role == "assistant" else _answer_user(ctx)
    if thinking_mode(body) is not None and (last is None or last.role == "user"):
        count = len(transcript.raw)
        thought = f"The request has {count} messages and {len(tools)} tools; next: {reply.stop_reason}."
        signature = ledger.sign(thought)
        ledger.record(response_id, [signature])
        reply.content.insert(0, {"type": "thinking", "thinking": thought, "signature": signature})
    return reply
