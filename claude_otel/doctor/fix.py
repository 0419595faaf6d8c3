"""``doctor --fix``: the smallest transcript edits that make the rebuilt request valid.

The repair runs on the rebuilt messages (``claude_otel.repair.repair_messages``, the same function the
in-flight repair uses); since it moves blocks without copying them, each block of the repaired messages is
traced back to the transcript entry it came from, and only the entries whose blocks changed (order, a
block dropped, a lost result added to the entry opening the turn) are rewritten. Blocks Claude Code adds by
itself on resume are not written. Assistant entries are never edited, so thinking blocks and signatures
stay as they are. ``plan_fix`` is pure; ``write_fixed_copy`` streams the original into a copy under a new
session id, rewriting the planned lines only (every other line byte-identical) and never touching the
original.
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from ..repair import Edit, repair_messages
from .reader import Entry, ident
from .rebuild import Rebuilt


@dataclass(slots=True)
class FixPlan:
    edits: list[Edit] = field(default_factory=list)
    changes: dict[int, list[Any]] = field(default_factory=dict)  # line number -> new message.content
    entries: dict[int, Entry] = field(default_factory=dict)

    def describe_lines(self) -> list[str]:
        return [
            f"line {line} (uuid {ident(self.entries[line].uuid)}): message.content rewritten,"
            f" {len(content)} block(s)"
            for line, content in sorted(self.changes.items())
        ]


def plan_fix(rebuilt: Rebuilt) -> FixPlan:
    """The entry edits that apply the fixable repairs to the rebuilt request (see module doc)."""
    plan = FixPlan()
    origin_of: dict[int, Entry | None] = {}
    before: dict[int, list[Any]] = {}  # line -> its blocks in the rebuilt order
    owners: dict[int, Entry] = {}
    for m in rebuilt.messages:
        for block, origin in zip(m.blocks, m.origins, strict=True):
            origin_of[id(block)] = origin
            if origin is not None:
                before.setdefault(origin.line, []).append(block)
                owners[origin.line] = origin
    repaired, edits = repair_messages([m.as_api() for m in rebuilt.messages])
    if not edits:
        return plan
    plan.edits = edits
    after: dict[int, list[Any]] = {}
    for message in repaired:
        content = message.get("content")
        if message.get("role") != "user" or not isinstance(content, list):
            continue
        known = [origin_of.get(id(b), False) for b in content]
        for k, block in enumerate(content):
            owner = known[k]
            if owner is None:
                continue  # added by Claude Code itself on resume: not written
            if owner is False:  # added by the repair: belongs to the entry of the next (else previous) block
                owner = next((o for o in known[k + 1 :] if o), None) or next(
                    (o for o in reversed(known[:k]) if o), None
                )
                if not owner:
                    continue
            after.setdefault(owner.line, []).append(block)
            owners[owner.line] = owner
    for line, entry in owners.items():
        if entry.type != "user":
            continue
        old, new = before.get(line, []), after.get(line, [])
        if [id(b) for b in old] == [id(b) for b in new]:
            continue
        content = (entry.message or {}).get("content")
        seen = {id(b) for b in old}
        rest = [b for b in content if id(b) not in seen] if isinstance(content, list) else []
        plan.changes[line] = new + rest
        plan.entries[line] = entry
    return plan


def rewrite_lines(lines: Iterable[bytes], changes: dict[int, list[Any]]) -> Iterator[bytes]:
    """The lines of the copy: each changed line's entry re-serialised with its new content, every other
    line as it was."""
    for number, raw in enumerate(lines, 1):
        content = changes.get(number)
        if content is None:
            yield raw
            continue
        obj = orjson.loads(raw)
        obj["message"]["content"] = content
        yield orjson.dumps(obj) + (b"\n" if raw.endswith(b"\n") else b"")


def write_fixed_copy(original: Path, plan: FixPlan) -> Path:
    """Write the repaired copy next to ``original`` as ``<new session id>.jsonl``; only reads the original."""
    new_id = str(uuidlib.uuid4())
    target = original.with_name(f"{new_id}.jsonl")
    with original.open("rb") as src, target.open("xb") as dst:
        for out in rewrite_lines(src, plan.changes):
            dst.write(out)
    return target
