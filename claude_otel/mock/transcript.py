"""The request's messages as the API sees them: string content as text blocks, ``role: "system"``
messages set aside, consecutive same-role messages merged into one turn.

Every block keeps its original message and block index, so errors name ``messages.N.content.M`` of the
request the client actually sent.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

CLIENT_TOOL_USE = "tool_use"
SERVER_TOOL_USES = ("server_tool_use", "mcp_tool_use")
THINKING_TYPES = ("thinking", "redacted_thinking")


@dataclass(frozen=True)
class Block:
    msg: int  # index of the message in the request
    idx: int  # index of the block in that message's content (0 for string content)
    data: Mapping[str, Any]

    @property
    def type(self) -> str:
        value = self.data.get("type")
        return value if isinstance(value, str) else ""

    @property
    def path(self) -> str:
        return f"messages.{self.msg}.content.{self.idx}"


@dataclass
class Turn:
    role: str
    messages: list[int] = field(default_factory=list)  # request indexes merged into this turn
    blocks: list[Block] = field(default_factory=list)

    @property
    def first(self) -> int:
        return self.messages[0]

    @property
    def last(self) -> int:
        return self.messages[-1]

    def of_type(self, *types: str) -> Iterator[Block]:
        return (b for b in self.blocks if b.type in types)

    def tool_use_ids(self) -> list[str]:
        return [str(b.data.get("id")) for b in self.of_type(CLIENT_TOOL_USE)]


@dataclass
class Transcript:
    turns: list[Turn]
    system_messages: list[int]  # request indexes of role:"system" messages
    raw: list[Mapping[str, Any]]

    @property
    def last(self) -> Turn | None:
        return self.turns[-1] if self.turns else None

    def latest_assistant(self) -> tuple[int, Turn] | None:
        for k in range(len(self.turns) - 1, -1, -1):
            if self.turns[k].role == "assistant":
                return k, self.turns[k]
        return None


def content_blocks(content: Any) -> list[Mapping[str, Any]]:
    """Content as a list of block mappings (a string becomes one text block; non-mappings are skipped)."""
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if isinstance(content, list):
        return [b for b in content if isinstance(b, Mapping)]
    return []


def build(messages: list[Mapping[str, Any]]) -> Transcript:
    turns: list[Turn] = []
    system: list[int] = []
    for i, message in enumerate(messages):
        role = message.get("role")
        if role == "system":
            system.append(i)
            continue
        blocks = [Block(i, j, b) for j, b in enumerate(content_blocks(message.get("content")))]
        if turns and turns[-1].role == role:
            turns[-1].messages.append(i)
            turns[-1].blocks.extend(blocks)
        else:
            turns.append(Turn(str(role), [i], blocks))
    return Transcript(turns, system, messages)
