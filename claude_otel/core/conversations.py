"""Per-conversation memory of the fast path: analyse only what a request adds to the previous one.

Agents resend the whole history on every request. A conversation's first request is only noted (its key:
most conversations are short, and their requests pay nothing more). From its second request on, when the
fast walk (walk.walk_decoded) runs quiet over a body, it saves what it had established at the start of
the body's last turn (a `walk.WalkState`: a function of the messages before that point alone),
and this module keeps it with the body's bytes, per conversation, bounded in entries and in bytes. When
the next request's bytes start with the same bytes up to that message and end with the same bytes after
the messages array (both compared, never assumed: a memcmp each), only the messages in between are
decoded and walked, from the saved state.

Why that is the same analysis as a cold one: the compared prefix leaves any JSON parser inside the same
messages array at the start of a value, having read the same messages and top-level fields; the messages
in between are decoded on their own (`[` + them + `]` must be a JSON array); the compared tail closes
the array and the object as before. The layout of the first body (where its messages array is, and that
it is the top-level `messages`, the last such key) is found once per conversation, on its second request,
and checked by decoding: the head must close as a top-level object, the tail must hold no other
`messages`. Everything the resumed walk cannot do the way the cold one does (a turn that needs a record
per turn, a hand-back to the full path) it does from scratch. `tests/core/test_incremental.py` compares
incremental and cold analyses on random histories, edits and retries.

Pure: no OpenTelemetry, no Prometheus. The memory holds bytes and decoded structs of bodies the process
has analysed already (no copy of content beyond the previous body per conversation), never outside it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import msgspec
from msgspec import Raw

from .schema import Message
from .walk import WalkState

MIN_BYTES = 32 * 1024  # below, a cold analysis costs tens of µs: the bookkeeping would be most of it
_KEY_BYTES = 1024  # a conversation's key: the hash of its first bytes (a collision costs a cold analysis)
_WS = b" \t\r\n"


class _Layout(msgspec.Struct, gc=False):
    messages: list[Raw]


_LAYOUT = msgspec.json.Decoder(_Layout)
_RAWS = msgspec.json.Decoder(list[Raw])
_MESSAGES = msgspec.json.Decoder(list[Message])


class Checkpoint:
    """The last request of one conversation: its body, the decoded request, the saved walk state at
    messages.`at`, and (once known) the byte offset of that message and the bytes after the array."""

    __slots__ = ("at", "body", "cost", "known", "prefix", "req", "state", "tail")

    def __init__(
        self, body: bytes, at: int, state: WalkState, req: Any, prefix: int, tail: bytes, known: Any = None
    ) -> None:
        self.known = known  # its settings.Known, if any: a body that continues it carries the same settings
        self.body = body
        self.at = at
        self.state = state
        self.req = req
        self.prefix = prefix  # offset of messages.at in body; 0 while the layout is unknown
        self.tail = tail  # body from the `]` closing the messages array on
        # what it keeps alive: the body, the buffer its Raw spans point into (the body, or the body less a
        # known tools[] span: see schema.KNOWN_TOOLS), about as much again in decoded strings and structs,
        # and the known settings' bytes (counted here too, though other checkpoints may share them)
        self.cost = 3 * len(body) + 4096 + (len(known.head) + len(known.tail) if known is not None else 0)


class SeenKeys:
    """The keys of conversations seen once (their first request: only noted, nothing saved), apart from
    the checkpoints so that a new conversation's bookkeeping takes no lock and evicts no checkpoint.
    A plain dict (each operation atomic under the GIL), oldest out first, bounded in entries and bytes:
    a key is a small int, so an entry costs about _SEEN_ENTRY_BYTES (the int and the dict's slot)."""

    def __init__(self, max_entries: int = 4096, max_bytes: int = 1024 * 1024) -> None:
        self.max_entries = max(0, min(max_entries, max_bytes // _SEEN_ENTRY_BYTES))
        self._keys: dict[int, None] = {}

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, key: int) -> bool:
        return key in self._keys

    def add(self, key: int) -> None:
        keys = self._keys
        if len(keys) >= self.max_entries:
            try:
                del keys[next(iter(keys))]  # the oldest (another thread may have changed the dict)
            except (KeyError, RuntimeError, StopIteration):
                keys.clear()
            if len(keys) >= self.max_entries:
                if not self.max_entries:
                    return
                keys.clear()
        keys[key] = None

    def discard(self, key: int) -> None:
        self._keys.pop(key, None)

    def clear(self) -> None:
        self._keys.clear()


_SEEN_ENTRY_BYTES = 100  # a 64-bit int (32 bytes) and its slot in a dict's tables (~3 x 8, plus growth)


SEEN = Checkpoint(b"", -1, WalkState(), None, 0, b"")  # a conversation's first request: only its key


class ConversationMemory:
    """Checkpoints by conversation key, least recently used first out, bounded in entries and bytes."""

    def __init__(self, max_entries: int = 256, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.bytes = 0
        self.resumed = 0  # analyses that walked only what followed a checkpoint (tests, benchmarks)
        self._entries: OrderedDict[Any, Checkpoint] = OrderedDict()
        self._lock = threading.Lock()  # the analysis runs on the application's threads and the worker
        self.seen = SeenKeys()  # conversations seen once: their key only (no lock, no checkpoint evicted)

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Any) -> Checkpoint | None:
        return self._entries.get(key)  # (atomic under the GIL; put() moves each request's key to the end)

    def put(self, key: Any, cp: Checkpoint) -> None:
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self.bytes -= old.cost
            if cp.cost > self.max_bytes:
                return
            self._entries[key] = cp
            self.bytes += cp.cost
            while len(self._entries) > self.max_entries or self.bytes > self.max_bytes:
                _, gone = self._entries.popitem(last=False)
                self.bytes -= gone.cost

    def clear(self) -> None:
        global _MATCHED
        with self._lock:
            self._entries.clear()
            self.bytes = self.resumed = 0
        self.seen.clear()
        _MATCHED = (None, None)


MEMORY = ConversationMemory()


def key_of(body: bytes, provider: str, conversation: str | None = None) -> int:
    """A conversation's key: a hash of the provider, the conversation id when the client sends one
    (Claude Code's session id), and the body's first KB. The id keeps apart the sessions that start
    with the same bytes (a fleet running one prompt in one checkout: Claude Code's first KB is the
    model, a fixed reminder, the prompt); the first KB keeps apart the conversations of one session (a
    subagent's starts with its own task). A collision costs a cold analysis: everything is compared
    before anything is resumed."""
    return hash((provider, conversation, body[:_KEY_BYTES]))


def conversation_id(value: object) -> str | None:
    """A caller's conversation id as the key takes it: a str of at most CONVERSATION_ID_MAX characters,
    else None (the key is then the first KB alone)."""
    if value.__class__ is str and 0 < len(value) <= CONVERSATION_ID_MAX:  # type: ignore[arg-type]
        return value  # type: ignore[return-value]
    return None


CONVERSATION_ID_MAX = 256


def resumable(body: object, provider: str = "anthropic", conversation: str | None = None) -> bool:
    """Whether analyze(body) will walk only what follows a checkpoint: cheap, so worth doing on the
    request's own thread rather than paying a hand-off to another. The same key, sizes and byte
    comparisons as analyze() makes (two memcmps: about 3 µs at 200 KB); only the decode of the new
    messages is left, and if it fails, analyze() runs cold where it was called, nothing worse."""
    if body.__class__ is not bytes or len(body) < MIN_BYTES:  # type: ignore[arg-type]
        return False
    raw: bytes = body  # type: ignore[assignment]
    cp = MEMORY.get(key_of(raw, provider, conversation_id(conversation)))
    return cp is not None and matches(cp, raw)


# the last (body, checkpoint) pair found to match: the hooks ask resumable(), then analyze() the same bytes
# object on the same thread, which then skips the two memcmps (bytes are immutable: the same object is
# the same bytes). One slot, emptied by the continued() that uses it: it keeps neither the body nor the
# checkpoint (an evicted one, with a whole decoded request) alive after that; a race just compares again.
_MATCHED: tuple[Any, Any] = (None, None)


def matches(cp: Checkpoint, body: bytes) -> bool:
    """Whether `body` is cp's prefix + at least one byte + cp's tail (compared, never assumed)."""
    global _MATCHED
    seen_body, seen_cp = _MATCHED
    if seen_body is body and seen_cp is cp:
        return True
    p, tail = cp.prefix, cp.tail
    if p <= 0 or len(body) - len(tail) <= p:
        return False
    if body.endswith(tail) and body.startswith(memoryview(cp.body)[:p]):
        _MATCHED = (body, cp)
        return True
    return False


def checkpoint_index(messages: list[Any]) -> int:
    """Where the next request's messages are expected to differ from this one's at the earliest: the
    start of the last user/assistant turn (it is re-sent changed: Claude Code and the SDKs move the cache
    breakpoint off its last block; a retry may shed its blocks; system messages after it come and go).
    The recorded real-client sessions differ from one request to the next from that message on, never
    before it. -1: none."""
    i = len(messages) - 1
    while i >= 0 and messages[i].role == "system":
        i -= 1
    if i < 0:
        return -1
    role = messages[i].role
    while i > 0 and messages[i - 1].role == role:  # to the first message of the last turn
        i -= 1
    return i if i >= 1 else -1


def continued(cp: Checkpoint, body: bytes) -> tuple[list[Any], list[int]] | None:
    """The messages `body` holds after cp's prefix, decoded, with their byte offsets in `body`, when
    `body` is cp's prefix + at least one message + cp's tail; None otherwise (or when one of them does not
    fit the schema: the cold analysis then says why)."""
    global _MATCHED
    if not matches(cp, body):
        return None
    _MATCHED = (None, None)  # (used: see matches)
    p = cp.prefix
    end = len(body) - len(cp.tail)
    array = b"".join((b"[", memoryview(body)[p:end], b"]"))  # (one copy)
    try:
        messages = _MESSAGES.decode(array)  # one decode for them all; then only their spans, for offsets
        if not messages:
            return None
        raws = _RAWS.decode(array)
    except (msgspec.DecodeError, TypeError, ValueError, RecursionError):
        return None
    offsets: list[int] = []
    pos, n = 1, len(array) - 1  # (array[0] is the added "[")
    for r in raws:  # the array parsed: each value after optional whitespace, then whitespace and a comma
        while array[pos] in _WS:
            pos += 1
        offsets.append(p + pos - 1)
        pos += len(r)
        while pos < n and array[pos] in _WS:
            pos += 1
        pos += 1  # the comma (or the end)
    return messages, offsets


def layout(body: bytes, n_messages: int, at: int) -> tuple[int, bytes] | None:
    """(offset of messages.at, the bytes from the `]` closing the top-level messages array on), or None
    when they cannot be told for sure (then the conversation is analysed cold)."""
    if not 0 < at < n_messages:
        return None
    found = messages_array(body, n_messages, at)
    if found is None:
        return None
    _, close, off = found
    return off, body[close:]


def messages_array(body: bytes, n_messages: int, at: int = 0) -> tuple[int, int, int] | None:
    """(offset of the `[` opening the top-level messages array, of the `]` closing it, of messages.at)
    when the body holds n_messages messages there and they can be told for sure (checked by decoding:
    the bytes before the array close as an object, the bytes after it hold no other top-level
    messages); None otherwise."""
    try:
        raws = _LAYOUT.decode(body).messages
    except (msgspec.DecodeError, TypeError, ValueError, RecursionError):
        return None
    if len(raws) != n_messages or not 0 <= at < n_messages:
        return None
    compact = b",".join(raws)  # the usual layout: no whitespace between messages
    k = body.find(b'"messages"')
    while k >= 0:
        p = k + 10
        while p < len(body) and body[p] in _WS:
            p += 1
        if p < len(body) and body[p] == 0x3A:  # ':'
            p += 1
            while p < len(body) and body[p] in _WS:
                p += 1
            if p < len(body) and body[p] == 0x5B:  # '['
                if body.startswith(compact, p + 1):
                    close = p + 1 + len(compact)
                    off = p + 1 + sum(len(r) + 1 for r in raws[:at])
                else:  # whitespace between them (Python's json.dumps): message by message
                    close, off = _spaced(body, p + 1, raws, at)
                if 0 < close < len(body) and body[close] == 0x5D and _top_level(body, p, close):  # ']'
                    return p, close, off
        k = body.find(b'"messages"', k + 1)
    return None


def _spaced(body: bytes, pos: int, raws: list[Raw], at: int) -> tuple[int, int]:
    """(offset of the `]` closing the array, offset of raws[at]) when the array starting at `pos` holds
    exactly these values with whitespace around the commas; (0, 0) when it does not."""
    n, off = len(body), 0
    while pos < n and body[pos] in _WS:
        pos += 1
    for k, r in enumerate(raws):
        if k:
            if pos >= n or body[pos] != 0x2C:  # ','
                return 0, 0
            pos += 1
            while pos < n and body[pos] in _WS:
                pos += 1
        if k == at:
            off = pos
        if not body.startswith(r, pos):
            return 0, 0
        pos += len(r)
        while pos < n and body[pos] in _WS:
            pos += 1
    return pos, off


def _top_level(body: bytes, open_at: int, close_at: int) -> bool:
    """The array at body[open_at:close_at + 1] is the value of the top-level object's last messages key:
    the bytes before it close as an object, and the bytes after it hold no other top-level messages."""
    try:
        head = _LAYOUT.decode(body[:open_at] + b"[]}")
        tail = _LAYOUT.decode(b'{"messages":[' + body[close_at:])
    except (msgspec.DecodeError, TypeError, ValueError, RecursionError):
        return False
    return not head.messages and not tail.messages
