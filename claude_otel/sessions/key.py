"""The session key and the repeat signature of a request (pure: headers and bytes in, strings out).

The key comes from what clients already send, first found wins:

1. ``x-claude-code-session-id`` (Claude Code sends it on every request) -> kind ``claude-code``;
2. the ``session_id`` inside the JSON string ``metadata.user_id`` (Claude Code, the Agent SDK) ->
   ``metadata``;
3. a conversation id the application sets (``claude_otel.sessions.conversation(...)`` or the
   ``x-claude-otel-conversation-id`` header) -> ``conversation``;
4. else a keyed digest of the conversation's first ids (the first ``tool_use`` id when there is one,
   otherwise the first message's bytes) -> ``digest``. The digest key is random per process: the value
   says nothing about the content and is not comparable across processes.

Session ids are never metric labels (unbounded): they go to span attributes and incident records only.

The repeat signature is a content-free digest of the conversation's structure (roles, block types, ids,
sizes) without what Claude Code's retries shed or rewrite (betas are headers; tool search: ``tool_reference``
blocks, server tool blocks, ``tools[]``, and the ``role: "system"`` messages it injects into ``messages[]``,
whose tool list changes when tool search goes): a retry of the same conversation has the same signature.
"""

from __future__ import annotations

import hashlib
import os
import re
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import msgspec
import orjson

from claude_otel.core.memo import ChecksumMemo

__all__ = [
    "CONVERSATION_HEADER",
    "SESSION_HEADER",
    "SessionKey",
    "conversation",
    "current_conversation",
    "repeat_signature",
    "repeat_signature_of",
    "session_key",
]

SESSION_HEADER = "x-claude-code-session-id"
CONVERSATION_HEADER = "x-claude-otel-conversation-id"
_ID_OK = re.compile(r"[A-Za-z0-9_:.\-]{1,128}")
_DIGEST_KEY = os.urandom(16)
_CONVERSATION: ContextVar[str | None] = ContextVar("claude_otel_conversation", default=None)
# block types a retry that drops tool search may remove: left out of the signature
_SHED_TYPES = frozenset({"tool_reference", "server_tool_use", "tool_search_tool_result"})


@dataclass(frozen=True, slots=True)
class SessionKey:
    kind: str  # "claude-code" | "metadata" | "conversation" | "digest"
    value: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


class conversation:
    """``with claude_otel.sessions.conversation("order-4711"): client.messages.create(...)``: the
    requests made inside belong to that session (id: letters, digits, ``_:.-``, at most 128)."""

    def __init__(self, conversation_id: str) -> None:
        self._id = conversation_id
        self._token: Any = None

    def __enter__(self) -> conversation:
        self._token = _CONVERSATION.set(self._id)
        return self

    def __exit__(self, *exc: object) -> None:
        _CONVERSATION.reset(self._token)


def current_conversation() -> str | None:
    return _CONVERSATION.get()


def _valid(value: Any) -> str | None:
    if isinstance(value, str) and _ID_OK.fullmatch(value):
        return value
    return None


class _Meta(msgspec.Struct):
    user_id: Any = None


class _Peek(msgspec.Struct):
    """The two things the key needs: metadata and the message spans (everything else skipped)."""

    metadata: _Meta | None = None
    messages: list[msgspec.Raw] = []


_PEEK = msgspec.json.Decoder(_Peek)


def _peek(raw: bytes | None) -> _Peek | None:
    if not raw:
        return None
    try:
        return _PEEK.decode(raw)
    except (msgspec.DecodeError, TypeError, ValueError, RecursionError):
        return None


def _digest(*parts: bytes) -> str:
    h = hashlib.blake2b(key=_DIGEST_KEY, digest_size=12)
    for p in parts:
        h.update(len(p).to_bytes(8, "little"))
        h.update(p)
    return h.hexdigest()


def _metadata_session(meta: _Meta | None) -> str | None:
    uid = meta.user_id if meta is not None else None
    if not isinstance(uid, str) or not uid.startswith("{") or len(uid) > 4096:
        return None
    try:
        obj = orjson.loads(uid)
    except orjson.JSONDecodeError:
        return None
    return _valid(obj.get("session_id")) if isinstance(obj, dict) else None


_TOOL_USE_ID = re.compile(rb'"type"\s*:\s*"tool_use"')


def _first_ids(messages: list[msgspec.Raw]) -> bytes:
    """The first tool_use id of the conversation, else the first message's bytes (only digested)."""
    for span in messages[:8]:
        data = bytes(span)
        if _TOOL_USE_ID.search(data):
            try:
                msg = orjson.loads(data)
            except orjson.JSONDecodeError:
                break
            for block in msg.get("content") or () if isinstance(msg, dict) else ():
                if isinstance(block, dict) and block.get("type") == "tool_use" and _valid(block.get("id")):
                    return b"tool_use:" + block["id"].encode()
    return b"first:" + (bytes(messages[0]) if messages else b"")


def session_key(header_get: Any, raw: bytes | None, conversation_id: str | None = None) -> SessionKey | None:
    """The session key of one request. ``header_get(name)`` reads a request header (None if absent);
    ``raw`` is the request body. None when nothing identifies a conversation. Never raises."""
    try:
        value = _valid(header_get(SESSION_HEADER))
        if value:
            return SessionKey("claude-code", value)
        peek = _peek(raw)
        value = _metadata_session(peek.metadata) if peek is not None else None
        if value:
            return SessionKey("metadata", value)
        value = _valid(conversation_id) or _valid(header_get(CONVERSATION_HEADER))
        if value:
            return SessionKey("conversation", value)
        if peek is not None and peek.messages:
            return SessionKey("digest", _digest(_first_ids(peek.messages)))
    except Exception:
        return None
    return None


# -- the repeat signature ---------------------------------------------------------------------------
#
# One typed msgspec decode keeps only what the signature reads (roles, block types, ids, names, the text
# and thinking strings for their lengths; tool inputs, signatures and the rest are skipped in C), then a
# flat walk builds the shape. A body whose values do not fit the types (a block that is not an object, an
# id that is not a string) goes the slow way (orjson, dicts), which builds the same shape from dicts.


class _SBlock(msgspec.Struct, gc=False):
    type: str | None = None
    id: str | None = None
    tool_use_id: str | None = None
    name: str | None = None
    text: str | None = None
    thinking: str | None = None
    content: str | list[_SBlock] | None = None


class _SMessage(msgspec.Struct, gc=False):
    role: str | None = None
    content: str | list[_SBlock] | None = None


class _SBody(msgspec.Struct, gc=False):
    messages: list[_SMessage] = []


_SIG = msgspec.json.Decoder(_SBody)


def _len(v: str | None) -> int:
    return -1 if v is None else len(v)


def _blocks_fast(blocks: list[_SBlock], out: list[Any]) -> None:
    for b in blocks:
        kind = b.type
        if kind in _SHED_TYPES:
            continue
        c = b.content
        out.append(
            (
                kind,
                b.id,
                b.tool_use_id,
                b.name,
                _len(b.text),
                _len(b.thinking),
                -1 if c is None else len(c) if c.__class__ is str else -2,
            )
        )
        if c.__class__ is list:
            _blocks_fast(c, out)  # type: ignore[arg-type]
            out.append(None)


def _shape_fast(raw: bytes) -> list[Any] | None:
    body = _SIG.decode(raw)
    if not body.messages:
        return None
    shape: list[Any] = []
    for m in body.messages:
        role = m.role
        if role == "system":
            continue  # injected context (Claude Code's tool list reminder): rewritten when it sheds tools
        c = m.content
        if c.__class__ is list:
            shape.append(role)
            _blocks_fast(c, shape)  # type: ignore[arg-type]
        else:
            shape.append((role, _len(c)))  # type: ignore[arg-type]
    return shape


def _s(v: Any) -> str | None:
    return v if v is None or isinstance(v, str) else "?"


def _slen(v: Any) -> int:
    return len(v) if isinstance(v, str) else -1


def _blocks_slow(blocks: list[Any], out: list[Any]) -> None:
    for b in blocks:
        if not isinstance(b, dict):
            out.append(("?", type(b).__name__))
            continue
        kind = _s(b.get("type"))
        if kind in _SHED_TYPES:
            continue
        c = b.get("content")
        out.append(
            (
                kind,
                _s(b.get("id")),
                _s(b.get("tool_use_id")),
                _s(b.get("name")),
                _slen(b.get("text")),
                _slen(b.get("thinking")),
                len(c) if isinstance(c, str) else -2 if isinstance(c, list) else -1 if c is None else -3,
            )
        )
        if isinstance(c, list):
            _blocks_slow(c, out)
            out.append(None)


def _shape_slow(raw: bytes) -> list[Any] | None:
    peek = _peek(raw)
    if peek is None or not peek.messages:
        return None
    shape: list[Any] = []
    for span in peek.messages:
        msg = orjson.loads(bytes(span))
        if not isinstance(msg, dict):
            shape.append("?")
            continue
        role = _s(msg.get("role"))
        if role == "system":
            continue
        content = msg.get("content")
        if isinstance(content, list):
            shape.append(role)
            _blocks_slow(content, shape)
        else:
            shape.append((role, len(content) if isinstance(content, str) else -1 if content is None else -3))
    return shape


def repeat_signature(raw: bytes | None) -> str | None:
    """A content-free digest of the conversation's structure (see the module doc). None when the body is
    not a Messages request. Never raises."""
    if not raw:
        return None
    try:
        try:
            shape = _shape_fast(raw)
        except (msgspec.ValidationError, RecursionError):
            shape = _shape_slow(raw)
        return _digest(orjson.dumps(shape)) if shape else None
    except Exception:
        return None


_MEMO = ChecksumMemo(entries=256)  # about 40 KB: (length, crc32) -> a 24-character digest


def repeat_signature_of(raw: bytes | None) -> str | None:
    """``repeat_signature(raw)``, remembered for the last bodies seen by their length and CRC-32: a retry
    that resends the same bytes (the common case) costs a checksum, not a walk of the conversation."""
    if not raw:
        return None
    try:
        return _MEMO.get(raw, lambda: repeat_signature(raw))
    except Exception:
        return repeat_signature(raw)
