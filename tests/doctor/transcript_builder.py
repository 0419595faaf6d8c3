"""Hand-built Claude Code transcripts in the 2.1.332 format (one content block per assistant entry, results
as children of their tool_use entry), for the doctor tests. A uniquely named module."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

CANARY = "CANARY-doctor-9c1e-do-not-leak"
SESSION = "5b0c1f7e-3f0e-4a51-9d1c-0a4f2d6e8b11"


class Transcript:
    def __init__(self, session: str = SESSION, cwd: str = "/work/project") -> None:
        self.session = session
        self.cwd = cwd
        self.lines: list[str] = []
        self._n = itertools.count(1)
        self._msg = itertools.count(1)
        self._tool = itertools.count(1)
        self.last: str | None = None
        self.line_of: dict[str, int] = {}

    def _uuid(self) -> str:
        return f"00000000-0000-4000-8000-{next(self._n):012d}"

    def raw(self, text: str) -> None:
        self.lines.append(text)

    def entry(
        self, kind: str, message: dict[str, Any] | None = None, parent: Any = "last", **extra: Any
    ) -> str:
        uid = self._uuid()
        obj: dict[str, Any] = {
            "parentUuid": self.last if parent == "last" else parent,
            "isSidechain": False,
            "type": kind,
            "uuid": uid,
            "timestamp": f"2026-12-05T10:{len(self.lines) // 60:02d}:{len(self.lines) % 60:02d}.000Z",
            "sessionId": self.session,
            "cwd": self.cwd,
            "version": "2.1.332",
        }
        if message is not None:
            obj["message"] = message
        obj.update(extra)
        self.lines.append(json.dumps(obj, separators=(",", ":")))
        self.line_of[uid] = len(self.lines)
        self.last = uid
        return uid

    def prompt(self, text: str, **kw: Any) -> str:
        return self.entry("user", {"role": "user", "content": text}, **kw)

    def assistant(self, *blocks: dict[str, Any], parent: Any = "last") -> list[str]:
        """One entry per block sharing one message.id; returns their uuids."""
        mid = f"msg_{next(self._msg):024d}"
        uids = []
        for n, block in enumerate(blocks):
            message = {
                "id": mid,
                "type": "message",
                "role": "assistant",
                "model": "claude-opus-5-5",
                "content": [block],
                "stop_reason": None,
            }
            uids.append(self.entry("assistant", message, parent=parent if n == 0 else "last"))
        return uids

    def tool_use(self, name: str = "Read") -> dict[str, Any]:
        return {
            "type": "tool_use",
            "id": f"toolu_{next(self._tool):024d}",
            "name": name,
            "input": {"p": CANARY},
        }

    def result(
        self, tool_use: dict[str, Any], parent: Any = "last", before: list[Any] = (), **kw: Any
    ) -> str:
        block = {"type": "tool_result", "tool_use_id": tool_use["id"], "content": f"result {CANARY}"}
        content = [*before, block]
        return self.entry(
            "user", {"role": "user", "content": content}, parent=parent, toolUseResult={"ok": True}, **kw
        )

    def text(self, words: str = f"a reply {CANARY}") -> dict[str, Any]:
        return {"type": "text", "text": words}

    def write(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(self.lines) + "\n")
        return path

    def data(self) -> bytes:
        return ("\n".join(self.lines) + "\n").encode()


def tool_session(damage: bool = False) -> Transcript:
    """A prompt, one tool round with two parallel calls (sibling results), a final answer; ``damage``: the
    first round's result entry holds a text block before its tool_result."""
    t = Transcript()
    t.prompt(f"please read the notes {CANARY}")
    first = t.tool_use()
    t.assistant({"type": "thinking", "thinking": CANARY, "signature": "c2ln"}, t.text(), first)
    t.result(first, before=[t.text(f"typed while the tool ran {CANARY}")] if damage else [])
    a, b = t.tool_use(), t.tool_use("Write")
    ua, ub = t.assistant(t.text(), a, b)[1:]
    t.result(a, parent=ua)
    t.result(b, parent=ub)
    t.assistant(t.text("done"))
    return t
