"""Cross-turn checks (pure): compare a request body with what earlier responses returned.

The stateless analysis sees one request. These functions also see a *lookup* of what the API returned
before, keyed by the ids the API itself hands out (``toolu_…``/``srvtoolu_…`` tool_use ids and ``msg_…``
message ids) and by the signature digests of its thinking blocks (``thinking:…``: a turn without tool_use,
such as a resumed session's ``[thinking, text]``, is found by them), and find what a single body cannot show:

- ``container_required``: the response being continued returned a ``container`` and the continuation
  sends none;
- ``container_mismatch``: the continuation names a different container;
- ``thread_results_mismatch``: a ``thread: {"type": "continue", "previous_message_id": …}`` request whose
  tool results do not answer exactly the tool calls of that previous message;
- ``thinking_modified``: thinking blocks of the latest assistant turn differ from what the API returned.

Nothing here keeps content: a response is remembered as a :class:`ResponseRecord` of ids and one-way
digests of the thinking blocks (digests never leave the process). No I/O, no OpenTelemetry, no Prometheus.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from msgspec.structs import asdict

from claude_otel.core.schema import BLOCK_TYPES, UNSET, Request, load
from claude_otel.core.types import Finding

__all__ = [
    "ResponseRecord",
    "block_fingerprint",
    "check_continuity",
    "record_from_message",
    "text_digest",
]

Lookup = Callable[[str], "ResponseRecord | None"]


@dataclass(frozen=True, slots=True)
class ResponseRecord:
    """What one response returned, reduced to ids and digests."""

    message_id: str | None
    tool_use_ids: tuple[str, ...] = ()  # client tool_use blocks
    server_tool_use_ids: tuple[str, ...] = ()
    container_id: str | None = None
    thinking: tuple[tuple[str, ...], ...] = ()  # one fingerprint per thinking/redacted_thinking block
    stop_reason: str | None = None

    def index_keys(self) -> tuple[str, ...]:
        """The ids under which a store should index this record: the message id, the tool_use ids, and a
        key per thinking block (its signature's digest; at most ``MAX_THINKING_KEYS``), which every
        assistant turn with thinking carries even when it has no tool_use (a resumed session's last turn)."""
        ids = (*self.tool_use_ids, *self.server_tool_use_ids)
        ids = (*ids, *(thinking_key(fp) for fp in self.thinking[:MAX_THINKING_KEYS]))
        return (self.message_id, *ids) if self.message_id else ids


MAX_THINKING_KEYS = 4  # a response with many thinking blocks indexes its first few: the store stays bounded


def thinking_key(fingerprint: tuple[str, ...]) -> str:
    """The store key of a thinking block: the digest of its signature (of its data when redacted), which an
    edit of the thinking text leaves unchanged."""
    return "thinking:" + fingerprint[-1]


def text_digest(value: str | bytes) -> str:
    """Short one-way digest of a string (for equality checks only)."""
    raw = value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value
    return hashlib.blake2b(raw, digest_size=12).hexdigest()


def block_fingerprint(block: Mapping[str, Any]) -> tuple[str, ...] | None:
    """Fingerprint of a thinking / redacted_thinking block, or None for any other block."""
    kind = block.get("type")
    if kind == "thinking":
        thinking, signature = _str(block.get("thinking")), _str(block.get("signature"))
        return ("thinking", text_digest(thinking), text_digest(signature))
    if kind == "redacted_thinking":
        return ("redacted_thinking", text_digest(_str(block.get("data"))))
    return None


def record_from_message(message: Mapping[str, Any]) -> ResponseRecord | None:
    """Build a record from a parsed non-streaming Messages API response body (``type: message``)."""
    if not _mapping(message) or message.get("type") != "message":
        return None
    tool_ids: list[str] = []
    server_ids: list[str] = []
    thinking: list[tuple[str, ...]] = []
    content = message.get("content")
    for block in content if isinstance(content, list) else ():
        if not _mapping(block):
            continue
        kind = block.get("type")
        if kind == "tool_use" and isinstance(block.get("id"), str):
            tool_ids.append(block["id"])
        elif kind == "server_tool_use" and isinstance(block.get("id"), str):
            server_ids.append(block["id"])
        else:
            fp = block_fingerprint(block)
            if fp is not None:
                thinking.append(fp)
    container = message.get("container")
    container_id = container.get("id") if _mapping(container) else None
    msg_id = message.get("id")
    return ResponseRecord(
        message_id=msg_id if isinstance(msg_id, str) else None,
        tool_use_ids=tuple(tool_ids),
        server_tool_use_ids=tuple(server_ids),
        container_id=container_id if isinstance(container_id, str) else None,
        thinking=tuple(thinking),
        stop_reason=message.get("stop_reason") if isinstance(message.get("stop_reason"), str) else None,
    )


def check_continuity(body: Mapping[str, Any] | Request, lookup: Lookup) -> tuple[Finding, ...]:
    """Findings for ``body`` given what earlier responses returned. Never raises on odd input.

    ``body``: the parsed body, or the fast path's decoded request (``Analysis.decoded``)."""
    if isinstance(body, Request):
        body = _view(body)
    if not _mapping(body):
        return ()
    messages = body.get("messages")
    if not isinstance(messages, list):
        messages = []
    findings: list[Finding] = []
    findings.extend(_thread_findings(body, messages, lookup))
    idx = _last_assistant_index(messages)
    if idx is not None:
        blocks = _blocks(messages[idx])
        record = _record_for_blocks(blocks, lookup)
        if record is not None:
            findings.extend(_container_findings(body, blocks, record))
            finding = _thinking_finding(idx, blocks, record)
            if finding is not None:
                findings.append(finding)
    return tuple(findings)


# --- helpers -------------------------------------------------------------------------------------------


def _view(req: Request) -> dict[str, Any]:
    """What the checks below read of a decoded request, as the dict they take: container, thread, and in
    a list as long as messages, the last assistant message and, when the request continues a thread (the
    only check that reads it), the first user message (None elsewhere: the checks skip what is not a
    mapping). At most two messages are converted, whatever the history's length."""
    messages = req.messages
    listed: list[Any] = [None] * len(messages)
    for i in range(len(messages) - 1, -1, -1):
        if messages[i].role == "assistant":
            listed[i] = _message_dict(messages[i])
            break
    if req.thread is not UNSET:
        for i, m in enumerate(messages):
            if m.role == "user":
                listed[i] = _message_dict(m)
                break
    view: dict[str, Any] = {"messages": listed}
    for name in ("container", "thread"):
        span = getattr(req, name)
        if span is not UNSET:
            view[name] = load(span)
    return view


def _message_dict(message: Any) -> dict[str, Any]:
    """A decoded message as the parsed body's dict, for what the checks read: role, and per block its
    type and fields (tool_use id and caller, thinking and signature, redacted data). Built from the
    structs' fields (one C call per block): no JSON round trip of the blocks' text. A field the body did
    not carry is UNSET here where the parsed dict has no key; the checks read none of those but `caller`,
    which they test for a mapping (UNSET is none)."""
    content = message.content
    if content.__class__ is str:
        return {"role": message.role, "content": content}
    blocks = []
    for b in content:
        d = asdict(b)
        d["type"] = BLOCK_TYPES[b.__class__]
        blocks.append(d)
    return {"role": message.role, "content": blocks}


def _mapping(value: Any) -> bool:
    """isinstance(value, Mapping), a dict (what orjson and the views give) or None answered without the
    ABC machinery (about a fifth of the time)."""
    return value.__class__ is dict or (value is not None and isinstance(value, Mapping))


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _blocks(message: Any) -> list[Mapping[str, Any]]:
    if not _mapping(message):
        return []
    content = message.get("content")
    if not isinstance(content, list):
        return []
    return [b for b in content if _mapping(b)]


def _last_assistant_index(messages: Sequence[Any]) -> int | None:
    for i in range(len(messages) - 1, -1, -1):
        m = messages[i]
        if _mapping(m) and m.get("role") == "assistant":
            return i
    return None


def _record_for_blocks(blocks: Sequence[Mapping[str, Any]], lookup: Lookup) -> ResponseRecord | None:
    for block in blocks:
        if block.get("type") in ("tool_use", "server_tool_use"):
            block_id = block.get("id")
            if isinstance(block_id, str) and (record := lookup(block_id)) is not None:
                return record
    for block in blocks:  # a turn without tool_use (a resumed session's [thinking, text]): its signatures
        key = _signature_key(block)  # (the key alone: the thinking text's digest is not needed to find it)
        if key is not None and (record := lookup(key)) is not None:
            return record
    return None


def _signature_key(block: Mapping[str, Any]) -> str | None:
    """thinking_key(block_fingerprint(block)) without the digest of the thinking text."""
    kind = block.get("type")
    if kind == "thinking":
        return "thinking:" + text_digest(_str(block.get("signature")))
    if kind == "redacted_thinking":
        return "thinking:" + text_digest(_str(block.get("data")))
    return None


def _request_container_id(body: Mapping[str, Any]) -> tuple[bool, str | None]:
    container = body.get("container")
    if container is None:
        return False, None
    if isinstance(container, str):
        return True, container
    if _mapping(container):
        cid = container.get("id")
        return True, cid if isinstance(cid, str) else None
    return True, None


def _code_execution_pending(blocks: Sequence[Mapping[str, Any]]) -> bool:
    for block in blocks:
        caller = block.get("caller")
        if (
            block.get("type") == "tool_use"
            and _mapping(caller)
            and _str(caller.get("type")).startswith("code_execution")
        ):
            return True
    return False


def _container_findings(
    body: Mapping[str, Any], blocks: Sequence[Mapping[str, Any]], record: ResponseRecord
) -> list[Finding]:
    if record.container_id is None:
        return []
    present, cid = _request_container_id(body)
    severity = "error" if _code_execution_pending(blocks) else "warning"
    if not present:
        return [
            Finding(
                "container_required",
                severity,
                "container",
                f"the response being continued ({record.message_id or 'unknown id'}) returned container "
                f"{record.container_id} and this request sends no container: send container="
                f"{record.container_id!r}",
            )
        ]
    if cid is not None and cid != record.container_id:
        return [
            Finding(
                "container_mismatch",
                severity,
                "container",
                f"the response being continued returned container {record.container_id} but this request "
                f"names {cid}: send the container id of the previous response",
            )
        ]
    return []


def _thinking_finding(
    idx: int, blocks: Sequence[Mapping[str, Any]], record: ResponseRecord
) -> Finding | None:
    if not record.thinking:
        return None
    sent: list[tuple[int, tuple[str, ...]]] = []
    for j, block in enumerate(blocks):
        fp = block_fingerprint(block)
        if fp is not None:
            sent.append((j, fp))
    if not sent:
        return None  # all dropped: that is thinking_missing_in_tool_loop's business, not a modification
    expected = list(record.thinking)
    for k, (j, fp) in enumerate(sent):
        if k >= len(expected) or fp != expected[k]:
            return _thinking_modified(idx, j, len(sent), len(expected))
    if len(sent) != len(expected):
        return _thinking_modified(idx, sent[-1][0], len(sent), len(expected))
    return None


def _thinking_modified(idx: int, j: int, sent: int, expected: int) -> Finding:
    return Finding(
        "thinking_modified",
        "error",
        f"messages.{idx}.content.{j}",
        f"thinking blocks of the latest assistant turn differ from the {expected} the API returned "
        f"({sent} sent): replay them unchanged, in order, with their signatures",
    )


def _thread_findings(body: Mapping[str, Any], messages: Sequence[Any], lookup: Lookup) -> list[Finding]:
    thread = body.get("thread")
    if not _mapping(thread) or thread.get("type") != "continue":
        return []
    prev = thread.get("previous_message_id")
    if not isinstance(prev, str) or (record := lookup(prev)) is None:
        return []
    expected = set(record.tool_use_ids)
    first_user = next((i for i, m in enumerate(messages) if _mapping(m) and m.get("role") == "user"), None)
    got: list[str] = []
    if first_user is not None:
        for block in _blocks(messages[first_user]):
            if block.get("type") == "tool_result" and isinstance(block.get("tool_use_id"), str):
                got.append(block["tool_use_id"])
    if not expected and not got:
        return []
    missing = sorted(expected - set(got))
    unexpected = sorted(set(got) - expected)
    if not missing and not unexpected:
        return []
    parts = []
    if missing:
        parts.append(f"missing results for {_id_list(missing)}")
    if unexpected:
        parts.append(f"results for unknown ids {_id_list(unexpected)}")
    path = f"messages.{first_user}" if first_user is not None else "messages"
    return [
        Finding(
            "thread_results_mismatch",
            "error",
            path,
            f"thread continues {prev}, which made {len(expected)} tool call(s): {'; '.join(parts)}. "
            "Answer each tool_use id of that message with exactly one tool_result",
        )
    ]


def _id_list(ids: Sequence[str]) -> str:
    return ", ".join(ids[:5]) + (" …" if len(ids) > 5 else "")
