"""Fault injectors: pure functions turning a well-formed request into the buggy one agents send in the field.

Message-level injectors take the ``messages`` list of a request that is ready to be sent (its last turn is the
user turn answering the latest assistant ``tool_use`` turn) and return a new list; request-level injectors
(``drop_container``, ``forget_deferred_tool``) take the whole request body and return a new body. None of
them mutates its argument. When the transcript lacks what a fault needs (no tool call to drop a result of, no
container to lose, ...) they raise :class:`FaultNotApplicable`, so an agent can try again on a later turn.

``FAULTS`` maps each fault kind to a :class:`Fault`: ``apply(body) -> body`` plus the rule ids the analysis
core is expected to report (``rules``) and the error categories the API's answer is expected to classify as
(``categories``; several rules share one API text, e.g. text before the results is answered with the
"tool_use ids were found without tool_result blocks" message).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Message = dict[str, Any]
Body = dict[str, Any]

# Fixed texts the buggy agents add: harness chatter, never user content.
REMINDER_TEXT = "<system-reminder>Remember to keep answers short.</system-reminder>"
INTERRUPTED_TEXT = "[Request interrupted by user for tool use]"
BETWEEN_TEXT = "Still working on it."
CODE_EXECUTION_TOOLS = frozenset({"code_execution", "bash_code_execution", "text_editor_code_execution"})


class FaultNotApplicable(ValueError):
    """The transcript lacks what this fault needs (e.g. no tool call, no container)."""


def _blocks(message: Mapping[str, Any]) -> list[dict[str, Any]]:
    content = message.get("content")
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    if isinstance(content, list):
        return [b for b in content if isinstance(b, dict)]
    return []


def _copy_messages(messages: Sequence[Mapping[str, Any]]) -> list[Message]:
    if not isinstance(messages, Sequence) or isinstance(messages, (str, bytes)):
        raise TypeError(f"messages must be a list of message dicts, got {type(messages).__name__}")
    out: list[Message] = []
    for i, message in enumerate(messages):
        if not isinstance(message, Mapping):
            raise TypeError(f"messages.{i} must be a dict, got {type(message).__name__}")
        out.append(copy.deepcopy(dict(message)))
    return out


def _tool_use_ids(message: Mapping[str, Any]) -> list[str]:
    return [b["id"] for b in _blocks(message) if b.get("type") == "tool_use" and isinstance(b.get("id"), str)]


def _last_tool_turn(messages: list[Message]) -> tuple[int, list[str]]:
    """Index of the last assistant turn with client tool calls, answered by the next (user) message."""
    for i in range(len(messages) - 1, -1, -1):
        if messages[i].get("role") == "assistant":
            ids = _tool_use_ids(messages[i])
            if ids:
                if i + 1 >= len(messages) or messages[i + 1].get("role") != "user":
                    raise FaultNotApplicable(f"messages.{i} has tool calls but no user turn answers them")
                return i, ids
    raise FaultNotApplicable("no assistant turn with tool_use blocks")


def _is_result_for(block: Mapping[str, Any], ids: Sequence[str]) -> bool:
    return block.get("type") == "tool_result" and block.get("tool_use_id") in ids


def _results_index(messages: list[Message]) -> tuple[int, list[str], list[dict[str, Any]]]:
    i, ids = _last_tool_turn(messages)
    blocks = _blocks(messages[i + 1])
    if not any(_is_result_for(b, ids) for b in blocks):
        raise FaultNotApplicable(f"messages.{i + 1} holds no tool_result for the calls of messages.{i}")
    return i + 1, ids, blocks


def drop_result(messages: Sequence[Mapping[str, Any]]) -> list[Message]:
    """An interrupted tool: the result of the last tool call is never sent (rule ``tool_result_missing``)."""
    out = _copy_messages(messages)
    r, ids, blocks = _results_index(out)
    victim = ids[-1]
    kept = [b for b in blocks if not _is_result_for(b, [victim])]
    if not any(b.get("type") in ("tool_result", "text") for b in kept):
        kept.append({"type": "text", "text": INTERRUPTED_TEXT})
    out[r]["content"] = kept
    return out


def text_before_results(messages: Sequence[Mapping[str, Any]]) -> list[Message]:
    """A harness reminder put in front of the tool results (rule ``tool_result_not_first``)."""
    out = _copy_messages(messages)
    r, _ids, blocks = _results_index(out)
    out[r]["content"] = [{"type": "text", "text": REMINDER_TEXT}, *blocks]
    return out


def split_results(messages: Sequence[Mapping[str, Any]]) -> list[Message]:
    """Results of one assistant turn spread over two user turns with an assistant turn between them.

    With several parallel calls the first result goes in the first user turn and the rest after the
    interleaved assistant turn; with one call a user text turn and an assistant turn come before the result.
    """
    out = _copy_messages(messages)
    r, ids, blocks = _results_index(out)
    results = [b for b in blocks if _is_result_for(b, ids)]
    rest = [b for b in blocks if not _is_result_for(b, ids)]
    between: Message = {"role": "assistant", "content": [{"type": "text", "text": BETWEEN_TEXT}]}
    if len(results) >= 2:
        first: Message = {"role": "user", "content": results[:1]}
        last: Message = {"role": "user", "content": [*results[1:], *rest]}
    else:
        first = {"role": "user", "content": [{"type": "text", "text": "Status?"}]}
        last = {"role": "user", "content": [*results, *rest]}
    out[r : r + 1] = [first, between, last]
    return out


def duplicate_result(messages: Sequence[Mapping[str, Any]]) -> list[Message]:
    """The same tool result is sent twice (rule ``tool_result_duplicate``)."""
    out = _copy_messages(messages)
    r, ids, blocks = _results_index(out)
    results = [b for b in blocks if _is_result_for(b, ids)]
    last_result = max(i for i, b in enumerate(blocks) if _is_result_for(b, ids))
    blocks.insert(last_result + 1, copy.deepcopy(results[0]))
    out[r]["content"] = blocks
    return out


def duplicate_tool_use_id(messages: Sequence[Mapping[str, Any]]) -> list[Message]:
    """A client that reuses a tool_use id from an earlier turn (rule ``tool_use_id_duplicate``).

    The last tool call takes the id of a call of an earlier assistant turn, and its result follows, so the
    only thing wrong is the id collision. Needs at least two assistant turns with tool calls.
    """
    out = _copy_messages(messages)
    i, ids = _last_tool_turn(out)
    earlier = [tid for m in out[:i] if m.get("role") == "assistant" for tid in _tool_use_ids(m)]
    if not earlier:
        raise FaultNotApplicable("needs an earlier assistant turn with a tool call whose id can be reused")
    old, new = ids[-1], earlier[0]
    for block in _blocks(out[i]):
        if block.get("type") == "tool_use" and block.get("id") == old:
            block["id"] = new
    for block in _blocks(out[i + 1]):
        if block.get("type") == "tool_result" and block.get("tool_use_id") == old:
            block["tool_use_id"] = new
    return out


def _thinking(block: Mapping[str, Any]) -> bool:
    return block.get("type") in ("thinking", "redacted_thinking")


def strip_thinking(messages: Sequence[Mapping[str, Any]]) -> list[Message]:
    """Thinking blocks removed from every assistant turn (rule ``thinking_missing_in_tool_loop``)."""
    out = _copy_messages(messages)
    i, _ids = _last_tool_turn(out)
    if not any(_thinking(b) for b in _blocks(out[i])):
        raise FaultNotApplicable(f"messages.{i} (the latest tool call turn) has no thinking block")
    for message in out:
        if message.get("role") == "assistant" and isinstance(message.get("content"), list):
            message["content"] = [b for b in message["content"] if not (isinstance(b, dict) and _thinking(b))]
    return out


def _copy_body(body: Mapping[str, Any]) -> Body:
    if not isinstance(body, Mapping):
        raise TypeError(f"body must be a dict, got {type(body).__name__}")
    if "messages" not in body:
        raise ValueError("body has no 'messages'")
    return copy.deepcopy(dict(body))


def _code_execution_pending(message: Mapping[str, Any]) -> bool:
    for block in _blocks(message):
        caller = block.get("caller")
        if isinstance(caller, Mapping) and str(caller.get("type", "")).startswith("code_execution"):
            return True
        if block.get("type") == "server_tool_use" and block.get("name") in CODE_EXECUTION_TOOLS:
            return True
    return False


def drop_container(body: Mapping[str, Any]) -> Body:
    """The container id is lost on the continuation of a code-execution turn (rule ``container_required``)."""
    out = _copy_body(body)
    if not out.get("container"):
        raise FaultNotApplicable("the request carries no container")
    i, _ids = _last_tool_turn(out["messages"])
    if not _code_execution_pending(out["messages"][i]):
        raise FaultNotApplicable(f"messages.{i} has no tool call generated by code execution")
    del out["container"]
    return out


def _referenced_tools(messages: Sequence[Mapping[str, Any]]) -> list[str]:
    names: list[str] = []

    def visit(node: Any) -> None:
        if isinstance(node, Mapping):
            if node.get("type") == "tool_reference" and isinstance(node.get("tool_name"), str):
                names.append(node["tool_name"])
            for value in node.values():
                if isinstance(value, (Mapping, list)):
                    visit(value)
        elif isinstance(node, list):
            for item in node:
                visit(item)

    visit(list(messages))
    return names


def forget_deferred_tool(body: Mapping[str, Any]) -> Body:
    """A deferred tool granted by tool search is left out of ``tools[]`` (rule ``tool_reference_unknown``)."""
    out = _copy_body(body)
    tools = out.get("tools")
    if not isinstance(tools, list):
        raise FaultNotApplicable("the request declares no tools")
    referenced = set(_referenced_tools(out["messages"]))
    kept = [t for t in tools if not (isinstance(t, Mapping) and t.get("name") in referenced)]
    if len(kept) == len(tools):
        raise FaultNotApplicable("no tool in tools[] is named by a tool_reference block")
    out["tools"] = kept
    return out


MessagesFn = Callable[[Sequence[Mapping[str, Any]]], list[Message]]
BodyFn = Callable[[Mapping[str, Any]], Body]


def _on_messages(fn: MessagesFn) -> BodyFn:
    def apply(body: Mapping[str, Any]) -> Body:
        out = _copy_body(body)
        out["messages"] = fn(out["messages"])
        return out

    apply.__name__ = fn.__name__
    apply.__doc__ = fn.__doc__
    return apply


@dataclass(frozen=True, slots=True)
class Fault:
    kind: str
    apply: BodyFn  # request body -> buggy request body (may raise FaultNotApplicable)
    rules: frozenset[str]  # rule ids the analysis core reports for the buggy request (any of them)
    categories: frozenset[str]  # classifier categories of the API's answer (any of them)
    needs: str  # agent scenario that can carry it: tools, thinking, code_execution, tool_search


FAULTS: dict[str, Fault] = {
    f.kind: f
    for f in (
        Fault(
            "drop_result",
            _on_messages(drop_result),
            frozenset({"tool_result_missing"}),
            frozenset({"tool_result_missing"}),
            "tools",
        ),
        Fault(
            "text_before_results",
            _on_messages(text_before_results),
            frozenset({"tool_result_not_first", "tool_result_missing"}),
            frozenset({"tool_result_missing", "tool_result_not_first"}),
            "tools",
        ),
        Fault(
            "split_results",
            _on_messages(split_results),
            frozenset({"tool_results_split", "tool_result_missing", "tool_result_orphan"}),
            frozenset({"tool_result_missing", "tool_result_orphan", "tool_results_split"}),
            "tools",
        ),
        Fault(
            "duplicate_result",
            _on_messages(duplicate_result),
            frozenset({"tool_result_duplicate"}),
            frozenset({"tool_result_duplicate"}),
            "tools",
        ),
        Fault(
            "duplicate_tool_use_id",
            _on_messages(duplicate_tool_use_id),
            frozenset({"tool_use_id_duplicate"}),
            frozenset({"tool_use_id_duplicate"}),
            "tools",
        ),
        Fault(
            "drop_container",
            drop_container,
            frozenset({"container_required"}),
            frozenset({"container_required"}),
            "code_execution",
        ),
        Fault(
            "forget_deferred_tool",
            forget_deferred_tool,
            frozenset({"tool_reference_unknown"}),
            frozenset({"tool_reference_unknown"}),
            "tool_search",
        ),
        Fault(
            "strip_thinking",
            _on_messages(strip_thinking),
            frozenset({"thinking_missing_in_tool_loop"}),
            frozenset({"thinking_missing_in_tool_loop", "thinking_missing"}),
            "thinking",
        ),
    )
}
FAULT_KINDS: tuple[str, ...] = tuple(FAULTS)


def inject(kind: str, body: Mapping[str, Any]) -> Body:
    """Apply fault ``kind`` to a request body; ``ValueError`` for an unknown kind."""
    fault = FAULTS.get(kind)
    if fault is None:
        raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(FAULT_KINDS)}")
    return fault.apply(body)
