"""Group C and D sequence checks over merged turns (pure): roles, system messages, prefill, thinking order."""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from .findings import Collector, safe_name
from .models import ModelCapabilities
from .walk import Turn

_THINKING = ("thinking", "redacted_thinking")
_role = attrgetter("role")
_has_thinking = attrgetter("has_thinking")


def _last_text(block: Any) -> str | None:
    if isinstance(block, str):
        return block
    if isinstance(block, dict) and block.get("type") == "text":
        t = block.get("text")
        return t if isinstance(t, str) else None
    return None


def check_roles(turns: list[Turn], messages: list, out: Collector, provider: str) -> None:
    if not turns:
        return
    first = turns[0]
    if first.msgs[0] == 0:
        if first.role == "system":
            out.add(
                "role_invalid",
                "messages.0",
                "messages.0 is a system message: use the top-level system parameter",
            )
        elif first.role == "assistant":
            out.add("first_message_not_user", "messages.0", "the first message is an assistant message")
    if provider != "bedrock" and "system" not in map(_role, turns):
        return  # nothing below can fire
    for k, t in enumerate(turns):
        if provider == "bedrock" and len(t.msgs) > 1:
            out.add(
                "consecutive_same_role",
                f"messages.{t.msgs[1]}",
                f"messages.{t.msgs[0]}..{t.msgs[-1]} are consecutive {t.role} messages",
            )
        if t.role != "system" or (k == 0 and t.msgs[0] == 0):
            continue
        i = t.msgs[0]
        m = messages[i]
        # a decoded message (the fast path) holds text blocks only: walk_decoded hands back the others
        content = m.get("content") if isinstance(m, dict) else None
        if isinstance(content, list) and any(
            not isinstance(b, dict) or b.get("type") != "text" for b in content
        ):
            out.add(
                "role_invalid",
                f"messages.{i}",
                f"system message messages.{i} holds non-text blocks",
                "warning",
            )
        prev = turns[k - 1] if k else None
        if prev is not None and prev.role == "assistant":
            last = prev.last_block
            if not (isinstance(last, dict) and last.get("type") == "server_tool_use"):
                out.add(
                    "role_invalid",
                    f"messages.{i}",
                    f"system message messages.{i} follows an assistant message",
                    "warning",
                )
        nxt = turns[k + 1] if k + 1 < len(turns) else None
        if nxt is not None and nxt.role == "user":
            out.add(
                "role_invalid",
                f"messages.{i}",
                f"system message messages.{i} is followed by a user message",
                "warning",
            )


def check_final_and_thinking(
    turns: list[Turn], out: Collector, caps: ModelCapabilities | None, thinking: str | None
) -> None:
    last = None
    for t in reversed(turns):
        if t.role != "system":
            last = t
            break
    if last is None:
        return
    for t in turns if any(map(_has_thinking, turns)) else ():
        if t.role != "assistant" or t.has_fallback or not t.has_thinking:
            continue
        # D2: a (merged) assistant turn holding thinking blocks starts with one
        if t.first_block_type not in _THINKING:
            out.add(
                "thinking_not_first",
                f"messages.{t.msgs[0]}.content.0",
                f"messages.{t.msgs[0]} holds thinking blocks but starts with {safe_name(t.first_block_type)}",
            )
        # D7: no assistant turn may end with a thinking block
        lb = t.last_block
        if isinstance(lb, dict) and lb.get("type") in _THINKING:
            out.add(
                "thinking_final_block",
                f"messages.{t.msgs[-1]}",
                f"messages.{t.msgs[-1]} ends with a thinking block",
            )

    if last.role == "assistant":
        pending_server = bool(last.server_unresolved)
        li = last.msgs[-1]
        if not pending_server and not last.has_fallback:
            text = _last_text(last.last_block)
            if text and text[-1].isspace():
                out.add(
                    "prefill_trailing_whitespace",
                    f"messages.{li}",
                    "the final assistant text ends with whitespace",
                )
            if caps is not None and caps.prefill is False:
                out.add(
                    "prefill_unsupported",
                    f"messages.{li}",
                    f"the conversation ends with an assistant message (prefill);"
                    f" {caps.family} does not support prefill",
                )
        if last.has_thinking and thinking in (None, "disabled"):
            out.add(
                "thinking_in_final_when_disabled",
                f"messages.{li}",
                f"the final assistant message holds thinking blocks but thinking is {thinking or 'absent'}",
            )
        return

    # D1: mid tool loop with thinking enabled, the turn of the last tool_use set starts with thinking
    if thinking != "enabled" or last.role != "user" or not last.results:
        return
    prev = None
    seen_last = False
    for t in reversed(turns):
        if t is last:
            seen_last = True
        elif seen_last and t.role != "system":
            prev = t
            break
    if prev is None or prev.role != "assistant" or not prev.tool_uses or prev.has_fallback:
        return
    if prev.first_block_type not in _THINKING:
        i = prev.msgs[0]
        out.add(
            "thinking_missing_in_tool_loop",
            f"messages.{i}.content.0",
            f"thinking is enabled but messages.{i} (the turn of the last tool_use set)"
            " does not start with thinking",
        )
