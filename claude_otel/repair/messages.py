"""Repair of the tool_result shapes the API rejects and a client can safely fix: pure, messages in,
repaired messages + edits out.

Only user turns are edited (the run of consecutive user messages after an assistant turn that called
tools); assistant messages, thinking blocks and signatures are never touched. The rules and what is done:

- ``tool_result_not_first``: the turn's tool_result blocks are moved before its other blocks (text, images,
  documents keep their order after them);
- ``tool_results_split``: results spread over several consecutive user messages are merged into the first
  of them, results first, then the other blocks in order;
- ``tool_result_orphan``: a tool_result naming no tool_use of the preceding assistant turn is dropped (a
  message left empty by that is dropped too);
- ``tool_result_missing``: a tool_use id the next user turn does not answer gets an ``is_error`` result
  saying the result was lost, put first in that turn. A conversation ending on the assistant turn is left
  alone (its calls are pending, which is valid).

Blocks are moved, never copied or rewritten: the repaired list holds the same block objects, so a caller
can track where each block came from by identity (the doctor does, to map the edits back to transcript
entries). Messages that change are new dicts; the others are the caller's objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

FIXABLE_RULES: frozenset[str] = frozenset(
    {"tool_result_not_first", "tool_results_split", "tool_result_orphan", "tool_result_missing"}
)
LOST_RESULT_TEXT = (
    "[Tool result lost: this call's result was not recorded in the conversation, so its outcome is unknown."
    " Added by claude-otel repair.]"
)


@dataclass(frozen=True, slots=True)
class Edit:
    """One repair: the rule it answers, what was done, where (API-style path in the original messages)."""

    rule: str
    action: str
    path: str
    tool_use_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "action": self.action, "path": self.path, "tool_use_id": self.tool_use_id}

    def describe(self) -> str:
        tail = f" ({self.tool_use_id})" if self.tool_use_id else ""
        return f"{self.rule}: {self.action} at {self.path}{tail}"


def lost_result(tool_use_id: str) -> dict[str, Any]:
    """The is_error result answering a tool_use whose real result is gone."""
    return {
        "type": "tool_result",
        "tool_use_id": tool_use_id,
        "is_error": True,
        "content": [{"type": "text", "text": LOST_RESULT_TEXT}],
    }


def _blocks(content: Any) -> list[Any]:
    if isinstance(content, list):
        return content
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return []


def _is_result(block: Any) -> bool:
    return isinstance(block, dict) and block.get("type") == "tool_result"


def _tool_use_ids(message: Any) -> list[str]:
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(content, list):
        return []
    return [
        b["id"]
        for b in content
        if isinstance(b, dict) and b.get("type") == "tool_use" and isinstance(b.get("id"), str)
    ]


def _role(message: Any) -> Any:
    return message.get("role") if isinstance(message, dict) else None


def repair_messages(
    messages: Sequence[Any], rules: Iterable[str] = FIXABLE_RULES, *, thread: bool = False
) -> tuple[list[Any], list[Edit]]:
    """The repaired message list and the edits made (none: the input list's items, unchanged).

    ``rules``: the subset of FIXABLE_RULES to apply. ``thread``: the request continues a server-held
    thread, so results may answer calls the request does not hold (orphans are then left alone).
    """
    wanted = FIXABLE_RULES.intersection(rules)
    out: list[Any] = []
    edits: list[Edit] = []
    n = len(messages)
    i = 0
    prev_uses: list[str] | None = None  # tool_use ids of the assistant turn just before, None: no such turn
    while i < n:
        role = _role(messages[i])
        j = i
        while j < n and _role(messages[j]) == role:
            j += 1
        if role == "assistant":
            uses: list[str] = []
            for k in range(i, j):
                uses.extend(_tool_use_ids(messages[k]))
            out.extend(messages[i:j])
            prev_uses = uses
        elif role == "user":
            out.extend(_repair_user_turn(messages, i, j, prev_uses, wanted, thread, edits))
            prev_uses = None
        else:  # a system message inside messages[] (Claude Code sends them): passed through, no turn boundary
            out.extend(messages[i:j])
        i = j
    if not edits:
        return list(messages), []
    return out, edits


def _repair_user_turn(
    messages: Sequence[Any],
    start: int,
    end: int,
    uses: list[str] | None,
    wanted: frozenset[str],
    thread: bool,
    edits: list[Edit],
) -> list[Any]:
    turn = messages[start:end]
    expected = set(uses or ())
    # every block of the turn with its original position
    located: list[tuple[int, int, Any]] = []
    for k, m in enumerate(turn):
        for b, block in enumerate(_blocks(m.get("content") if isinstance(m, dict) else None)):
            located.append((start + k, b, block))
    results = [(i, b, blk) for i, b, blk in located if _is_result(blk)]
    if not results and not (uses and "tool_result_missing" in wanted):
        return list(turn)
    kept_results: list[Any] = []
    answered: set[str] = set()
    changed = False
    for i, b, blk in results:
        tuid = blk.get("tool_use_id")
        orphan = isinstance(tuid, str) and tuid not in expected and not (uses is None and thread)
        if orphan and "tool_result_orphan" in wanted:
            edits.append(
                Edit(
                    "tool_result_orphan", "dropped the orphan tool_result", f"messages.{i}.content.{b}", tuid
                )
            )
            changed = True
            continue
        if isinstance(tuid, str):
            answered.add(tuid)
        kept_results.append(blk)
    others = [blk for _i, _b, blk in located if not _is_result(blk)]
    added: list[Any] = []
    if uses and "tool_result_missing" in wanted:
        for tuid in uses:
            if tuid not in answered:
                added.append(lost_result(tuid))
                answered.add(tuid)
                edits.append(
                    Edit(
                        "tool_result_missing",
                        "added an is_error result saying it was lost",
                        f"messages.{start}",
                        tuid,
                    )
                )
                changed = True
    result_msgs = sorted({i for i, _b, blk in results})
    if len(result_msgs) > 1 and "tool_results_split" in wanted:
        edits.append(
            Edit(
                "tool_results_split",
                f"merged the results of messages {', '.join(map(str, result_msgs))} into one message",
                f"messages.{result_msgs[0]}",
            )
        )
        changed = True
    first_other = next(((i, b) for i, b, blk in located if not _is_result(blk)), None)
    late = [(i, b, blk) for i, b, blk in results if first_other is not None and (i, b) > first_other]
    if late and "tool_result_not_first" in wanted:
        i, b, blk = late[0]
        edits.append(
            Edit(
                "tool_result_not_first",
                f"moved {len(late)} tool_result block(s) before the other blocks of the turn",
                f"messages.{i}.content.{b}",
                blk.get("tool_use_id") if isinstance(blk.get("tool_use_id"), str) else None,
            )
        )
        changed = True
    if not changed:
        return list(turn)
    first = turn[0] if isinstance(turn[0], dict) else {"role": "user"}
    merged = {k: v for k, v in first.items() if k != "content"}
    merged["role"] = "user"
    merged["content"] = [*added, *kept_results, *others]
    if not merged["content"]:
        return []
    return [merged]
