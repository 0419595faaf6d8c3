"""Streaming reader of a Claude Code session transcript (``<session-id>.jsonl``): one JSON object per line.

``read_transcript(lines)`` takes any iterable of byte lines (a file opened in binary mode streams them) and
keeps only what the rebuild needs: the conversation entries (``user``, ``assistant``, ``attachment``,
``system``) with their links and API message, the settings of the last ``api-request`` entry (model,
betas, thinking) and the API error entries. Everything else is counted by type and dropped as soon as it is
read. A line that cannot be used (invalid or truncated JSON, not an object, an unknown entry type, a
conversation entry without a uuid or with a message of another shape) is reported with its line number and
the scan goes on. Problems name types and fields, never content.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

CHAIN_TYPES = frozenset({"user", "assistant", "attachment", "system"})
# entry types Claude Code 2.1.332 writes that carry no conversation (see
# ../shared/reference/claude-code-transcripts.md); anything else is reported as unknown, then skipped
KNOWN_TYPES = CHAIN_TYPES | {
    "summary",
    "api-request",
    "api-request-blob",
    "api-request-shape",
    "queue-operation",
    "last-prompt",
    "atis-latch",
    "tools-used",
    "cost-state",
    "mode",
    "file-history-snapshot",
    "custom-title",
    "tag",
    "agent-name",
    "pr-link",
}
MAX_BAD_LINES = 50  # kept per session; the rest are only counted
_IDENT = re.compile(r"[A-Za-z0-9_:.+-]{1,64}")
_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{1,20}Z?")


def ident(value: Any) -> str | None:
    """``value`` when it is a short identifier-like string, else None (keeps free text out of reports)."""
    return value if isinstance(value, str) and _IDENT.fullmatch(value) else None


def timestamp(value: Any) -> str | None:
    return value if isinstance(value, str) and _TIMESTAMP.fullmatch(value) else None


@dataclass(slots=True)
class Entry:
    """One conversation entry: where it is in the file, its links and flags, and its API message."""

    line: int
    type: str
    uuid: str
    parent: str | None
    timestamp: Any  # as written; report it through timestamp()
    sidechain: bool = False
    meta: bool = False
    api_error: bool = False
    message: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class BadLine:
    line: int
    problem: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "problem": self.problem}


@dataclass(frozen=True, slots=True)
class ApiErrorEntry:
    """An ``isApiErrorMessage`` entry: the CLI recorded a failed request (status and codes only)."""

    line: int
    uuid: str | None
    timestamp: str | None
    status: int | None
    error: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "uuid": self.uuid,
            "timestamp": self.timestamp,
            "status": self.status,
            "error": self.error,
        }


@dataclass(slots=True)
class Transcript:
    """What a session file holds, as far as the doctor needs it."""

    entries: list[Entry] = field(default_factory=list)
    bad_lines: list[BadLine] = field(default_factory=list)
    bad_line_count: int = 0
    api_errors: list[ApiErrorEntry] = field(default_factory=list)
    request_params: dict[str, Any] | None = None  # the last api-request entry's params
    types: Counter[str] = field(default_factory=Counter)
    lines: int = 0
    bytes: int = 0
    session_id: str | None = None
    cwd: str | None = None
    version: str | None = None

    def bad(self, line: int, problem: str) -> None:
        self.bad_line_count += 1
        if len(self.bad_lines) < MAX_BAD_LINES:
            self.bad_lines.append(BadLine(line, problem))


def read_transcript(lines: Iterable[bytes]) -> Transcript:
    """Read a transcript line by line (see module doc). Never raises on content."""
    out = Transcript()
    loads = orjson.loads
    for number, raw in enumerate(lines, 1):
        out.lines = number
        out.bytes += len(raw)
        if not raw.strip():
            continue
        try:
            obj = loads(raw)
        except orjson.JSONDecodeError:
            out.bad(number, "invalid JSON (a truncated or damaged line)")
            continue
        if not isinstance(obj, dict):
            out.bad(number, f"a JSON {type(obj).__name__}, not an object")
            continue
        kind = obj.get("type")
        if not isinstance(kind, str):
            out.bad(number, "an entry without a type")
            continue
        if kind not in KNOWN_TYPES:
            name = ident(kind)
            out.types["<unknown>"] += 1
            out.bad(
                number, f"unknown entry type {name!r} (skipped)" if name else "unknown entry type (skipped)"
            )
            continue
        out.types[kind] += 1
        if kind in CHAIN_TYPES:
            _conversation(obj, kind, number, out)
        elif kind == "api-request":
            params = obj.get("params")
            if isinstance(params, dict):
                out.request_params = params
    return out


def _conversation(obj: dict[str, Any], kind: str, number: int, out: Transcript) -> None:
    uuid = obj.get("uuid")
    if not isinstance(uuid, str) or not uuid:
        out.bad(number, f"a {kind} entry without a uuid")
        return
    parent = obj.get("parentUuid")
    if parent is not None and not isinstance(parent, str):
        out.bad(number, f"a {kind} entry whose parentUuid is not a string")
        return
    message = obj.get("message")
    if kind in ("user", "assistant"):
        if not isinstance(message, dict):
            out.bad(number, f"a {kind} entry without a message object")
            return
        content = message.get("content")
        if not isinstance(content, (str, list)):
            out.bad(number, f"a {kind} entry whose message content is neither text nor a list of blocks")
            return
    else:
        message = None
    if out.session_id is None:
        out.session_id = ident(obj.get("sessionId"))
        cwd = obj.get("cwd")
        out.cwd = cwd if isinstance(cwd, str) and len(cwd) < 4096 else None
    version = obj.get("version")
    if version is not None and version != out.version:  # checked once per change, not per line
        out.version = ident(version) or out.version
    entry = Entry(
        line=number,
        type=kind,
        uuid=uuid,
        parent=parent,
        timestamp=obj.get("timestamp"),  # raw: checked with timestamp() when it is reported
        sidechain=obj.get("isSidechain") is True,
        meta=obj.get("isMeta") is True,
        api_error=obj.get("isApiErrorMessage") is True,
        message=message,
    )
    if entry.api_error:
        status = obj.get("apiErrorStatus")
        out.api_errors.append(
            ApiErrorEntry(
                number,
                ident(uuid),
                timestamp(entry.timestamp),
                status if isinstance(status, int) and not isinstance(status, bool) else None,
                ident(obj.get("apiError")) or ident(obj.get("error")),
            )
        )
    out.entries.append(entry)
