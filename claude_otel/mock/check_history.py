"""Checks across the merged transcript: where blocks may be, tool_use/tool_result pairing, server tool
pairs, thinking history (against the signatures this server issued), the final message, containers and
tool references."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import rules as R
from .errors import ShapeError
from .facts import (
    container_id,
    is_server_result,
    needs_container,
    result_type_for,
    supports_prefill,
    thinking_mode,
    tool_references,
)
from .ledger import ThinkingLedger
from .transcript import CLIENT_TOOL_USE, SERVER_TOOL_USES, THINKING_TYPES, Block, Transcript, Turn


def check_placement(transcript: Transcript) -> None:
    for turn in transcript.turns:
        for block in turn.blocks:
            if block.type == "tool_result" and turn.role == "assistant":
                where = f"messages.{block.msg}"
                raise ShapeError("tool_result_in_assistant", R.tool_result_in_assistant(where))
            if block.type == CLIENT_TOOL_USE and turn.role == "user":
                raise ShapeError("tool_use_in_user", R.tool_use_in_user(f"messages.{block.msg}"))
        if turn.role != "assistant" or not turn.blocks:
            continue
        types = [b.type for b in turn.blocks]
        if any(t in THINKING_TYPES for t in types) and types[0] not in THINKING_TYPES:
            raise ShapeError("thinking_not_first", R.thinking_not_first(turn.blocks[0].path, types[0]))
        if types[-1] in THINKING_TYPES:
            where = f"messages.{turn.blocks[-1].msg}"
            raise ShapeError("thinking_final_block", R.thinking_final_block(where))


def check_tools_defined(body: Mapping[str, Any], transcript: Transcript) -> None:
    uses = any(b.type in (CLIENT_TOOL_USE, "tool_result") for t in transcript.turns for b in t.blocks)
    if uses and not body.get("tools"):
        raise ShapeError("tools_required_for_tool_blocks", R.TOOLS_REQUIRED)


def check_pairing(transcript: Transcript) -> None:
    seen: set[str] = set()
    turns = transcript.turns
    for k, turn in enumerate(turns):
        for block in turn.of_type(CLIENT_TOOL_USE):
            tool_id = str(block.data.get("id"))
            if tool_id in seen:
                raise ShapeError("tool_use_id_duplicate", R.tool_use_id_duplicate(block.path))
            seen.add(tool_id)
        if turn.role == "user":
            previous = turns[k - 1] if k > 0 and turns[k - 1].role == "assistant" else None
            expected = set(previous.tool_use_ids()) if previous is not None else set()
            answered: set[str] = set()
            for block in turn.of_type("tool_result"):
                tool_use_id = str(block.data.get("tool_use_id"))
                if tool_use_id in answered:
                    message = R.tool_result_duplicate(block.path, tool_use_id)
                    raise ShapeError("tool_result_duplicate", message)
                answered.add(tool_use_id)
                if tool_use_id not in expected:
                    raise ShapeError("tool_result_orphan", R.tool_result_orphan(block.path, tool_use_id))
        if turn.role != "assistant":
            continue
        ids = turn.tool_use_ids()
        if not ids:
            continue
        following = turns[k + 1] if k + 1 < len(turns) else None
        leading: set[str] = set()
        if following is not None:
            for block in following.blocks:
                if block.type != "tool_result":
                    break
                leading.add(str(block.data.get("tool_use_id")))
        missing = [i for i in ids if i not in leading]
        if missing:
            where = following.first if following is not None else turn.last + 1
            raise ShapeError("tool_result_missing", R.tool_result_missing(f"messages.{where}", missing))


def check_server_tools(transcript: Transcript) -> None:
    latest = transcript.latest_assistant()
    carried: set[str] = set()  # code execution waiting for client tools: resolved in a later turn
    for k, turn in enumerate(transcript.turns):
        if turn.role != "assistant":
            continue
        pending: dict[str, Block] = {}
        for block in turn.blocks:
            if block.type in SERVER_TOOL_USES:
                pending[str(block.data.get("id"))] = block
            elif is_server_result(block):
                tool_use_id = str(block.data.get("tool_use_id"))
                if pending.pop(tool_use_id, None) is None and tool_use_id not in carried:
                    raise ShapeError(
                        "server_tool_result_orphan",
                        R.server_tool_result_orphan(block.path, block.type, tool_use_id),
                    )
                carried.discard(tool_use_id)
        if not pending:
            continue
        if any(turn.of_type(CLIENT_TOOL_USE)):
            carried.update(pending)
            continue
        if latest is not None and latest[0] == k == len(transcript.turns) - 1:
            continue  # pause_turn: the final assistant message ends in server tool use
        tool_id, block = next(iter(pending.items()))
        name = str(block.data.get("name")) if block.type == "server_tool_use" else "mcp_tool_use"
        raise ShapeError(
            "server_tool_use_without_result",
            R.server_tool_use_without_result(block.path, name, tool_id, result_type_for(name)),
        )


def check_thinking_history(body: Mapping[str, Any], transcript: Transcript, ledger: ThinkingLedger) -> None:
    mode = thinking_mode(body)
    turns = transcript.turns
    last = transcript.last
    if mode == "enabled" and last is not None and last.role == "user" and len(turns) >= 2:
        starts_with_result = bool(last.blocks) and last.blocks[0].type == "tool_result"
        previous = turns[-2]
        if starts_with_result and previous.role == "assistant" and previous.blocks:
            first = previous.blocks[0]
            if first.type not in THINKING_TYPES:
                raise ShapeError("thinking_missing_in_tool_loop", R.thinking_missing(first.path, first.type))
    latest = transcript.latest_assistant()
    if latest is None:
        return
    turn = latest[1]
    _check_latest_thinking(turn, ledger)
    if mode is None and last is turn:
        for block in turn.of_type(*THINKING_TYPES):
            raise ShapeError("thinking_in_final_when_disabled", R.thinking_in_final_when_disabled(block.path))


def _check_latest_thinking(turn: Turn, ledger: ThinkingLedger) -> None:
    by_response: dict[str, list[tuple[Block, int, int]]] = {}
    for block in turn.of_type("thinking"):
        signature = block.data.get("signature")
        if not isinstance(signature, str):
            raise ShapeError("thinking_signature_invalid", f"{block.path}.thinking.signature: Field required")
        if not ledger.issued(signature):
            raise ShapeError("thinking_signature_invalid", R.thinking_signature_invalid(block.path))
        if not ledger.matches(signature, block.data.get("thinking")):
            raise ShapeError("thinking_modified", R.thinking_modified(block.path))
        issued = ledger.lookup(signature)
        if issued is not None:
            by_response.setdefault(issued.response_id, []).append((block, issued.position, issued.total))
    for entries in by_response.values():
        positions = [position for _, position, _ in entries]
        if positions != list(range(entries[0][2])):
            raise ShapeError("thinking_modified", R.thinking_modified(entries[0][0].path))


def check_final(body: Mapping[str, Any], transcript: Transcript) -> None:
    last = transcript.last
    if last is None or last.role != "assistant" or not last.blocks:
        return
    final = last.blocks[-1]
    pending_server = final.type in SERVER_TOOL_USES
    if not pending_server and not supports_prefill(body.get("model")):
        raise ShapeError("prefill_unsupported", R.PREFILL_UNSUPPORTED)
    text = final.data.get("text")
    if final.type == "text" and isinstance(text, str) and text != text.rstrip():
        raise ShapeError("prefill_trailing_whitespace", R.PREFILL_TRAILING_WHITESPACE)


def check_container(body: Mapping[str, Any], transcript: Transcript) -> None:
    if needs_container(transcript) and container_id(body) is None:
        raise ShapeError("container_required", R.CONTAINER_REQUIRED)


def check_tool_references(body: Mapping[str, Any], transcript: Transcript) -> None:
    tools = body.get("tools") or []
    offered = {t.get("name") for t in tools if isinstance(t, Mapping)}
    for name in tool_references(transcript):
        if name not in offered:
            raise ShapeError("tool_reference_unknown", R.tool_reference_unknown(name))
