"""Known request settings: the bytes around messages[], decoded and checked once.

An agent sends the same top-level fields other than messages (model, system, tools, limits, thinking,
metadata...) on every request: the same bytes before the messages array and after it. This module
remembers a few of those byte pairs (head: the body up to the `[` opening the top-level messages array;
tail: from the `]` closing it on) with the request they decode to, less its messages (the template), and
the request-level checks' result for it. A body that starts with a known head and ends with its tail
(two memcmps) is decoded by decoding only what lies between (one JSON array of messages) into the
template: the settings are neither decoded nor checked again.

Why that is the decode of the body: the head was found, once, to leave a JSON parser at the start of the
value of the top-level object's last `messages` key (checked by decoding: see
conversations.messages_array); the same bytes leave it there again; the middle must decode as exactly
one array of messages (or nothing is taken from here); after it the parser is where it was after the
learned body's array, and the tail is the same bytes (holding no other top-level messages). Anything else
(no known head and tail, a middle that is not one well-formed array of messages) decodes the whole body.

Bounded: KNOWN_MAX entries, each of at most ENTRY_MAX_BYTES (head + tail; the template's spans are
copies, the body is not kept). Learning costs about one more skip over the body, so it is rationed
(_credit): an application whose settings change on every request pays it on a few requests, not all.
Cleared by core.clear_caches(). Pure: no OpenTelemetry, no Prometheus.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

import msgspec
from msgspec import Raw

from .conversations import messages_array
from .schema import Message, Request

KNOWN_MAX = 8
ENTRY_MAX_BYTES = 512 * 1024  # head + tail (tools and system prompt included)
CHECKS_MAX = 4  # request-level results per entry, by (provider, betas)
_CREDIT_MAX = 8  # learns allowed in a row; one back on every use of an entry, or every _REFILL misses
_REFILL = 64

_MESSAGES = msgspec.json.Decoder(list[Message])
_ERRORS = (msgspec.DecodeError, TypeError, ValueError, RecursionError)


class Known:
    """One known head and tail, the request they decode to (messages empty), and the request-level
    checks' results for it by (provider, betas)."""

    __slots__ = ("checks", "head", "tail", "template")

    def __init__(self, head: bytes, tail: bytes, template: Request) -> None:
        self.head = head
        self.tail = tail
        self.template = template
        self.checks: dict[tuple[str, Any], Any] = {}


KNOWN: list[Known] = []  # most recently used first
_state = {"credit": _CREDIT_MAX, "misses": 0}


def decode(body: bytes) -> tuple[Request, Known] | None:
    """The body decoded by its messages alone, with the known settings it carries; None when it carries
    none (or its middle is not one array of messages: the whole body then says what it is)."""
    n = len(body)
    for known in KNOWN:
        head, tail = known.head, known.tail
        h = len(head)
        if n - len(tail) > h and body.startswith(head) and body.endswith(tail):
            try:
                messages = _MESSAGES.decode(memoryview(body)[h : n - len(tail)])
            except _ERRORS:
                return None
            if KNOWN[0] is not known:
                with suppress(ValueError):  # (another thread moved it)
                    KNOWN.remove(known)
                KNOWN.insert(0, known)
            if _state["credit"] < _CREDIT_MAX:
                _state["credit"] += 1
            return msgspec.structs.replace(known.template, messages=messages), known
    return None


def sighted(req: Request) -> bool:
    """Whether settings like these (the same model and tools[] length and first bytes) were decoded
    before; notes them if not. Learning waits for the second sighting: the first request with a tool set
    pays nothing for it, and settings that never recur are never learned. Bounded: _SIGHTED_MAX
    signatures (of at most ~400 bytes each), forgotten all at once when full."""
    tools = req.tools
    model = req.model
    sig = (
        model if model.__class__ is str and len(model) <= 256 else None,  # type: ignore[arg-type]
        len(tools) if tools.__class__ is Raw else -1,  # type: ignore[arg-type]
        bytes(memoryview(tools)[:64]) if tools.__class__ is Raw else None,  # type: ignore[arg-type]
    )
    if sig in _SIGHTED:
        return True
    if len(_SIGHTED) >= _SIGHTED_MAX:
        _SIGHTED.clear()
    _SIGHTED.add(sig)
    return False


_SIGHTED: set[tuple] = set()
_SIGHTED_MAX = 256


def learn(body: bytes, req: Request) -> Known | None:
    """Remember this body's head and tail (a fast-path decode of it: `req`), when it can be told where its
    messages array is, the entry is small enough, and learning is not rationed off."""
    state = _state
    if state["credit"] <= 0:
        state["misses"] += 1
        if state["misses"] < _REFILL:
            return None
        state["misses"] = 0
        state["credit"] = 1
    state["credit"] -= 1
    found = messages_array(body, len(req.messages))
    if found is None:
        return None
    open_at, close_at, _ = found
    if open_at + len(body) - close_at - 1 > ENTRY_MAX_BYTES:
        return None
    template = msgspec.structs.replace(
        req,
        messages=[],
        # own copies of the small spans (the template must not keep the body alive)
        tools=_own(req.tools),
        thinking=_own(req.thinking),
        tool_choice=_own(req.tool_choice),
        container=_own(req.container),
        thread=_own(req.thread),
        cache_control=_own(req.cache_control),
    )
    known = Known(body[:open_at], body[close_at + 1 :], template)
    KNOWN.insert(0, known)
    del KNOWN[KNOWN_MAX:]
    return known


def _own(value: Any) -> Any:
    return value.copy() if value.__class__ is Raw else value


def clear() -> None:
    KNOWN.clear()
    _SIGHTED.clear()
    _state["credit"] = _CREDIT_MAX
    _state["misses"] = 0


__all__ = ["KNOWN", "Known", "clear", "decode", "learn", "sighted"]
