"""The well-formed request, as msgspec structs: the decode of the fast path.

`decode_request(raw)` reads a request body into the structs below, or returns None. The schema accepts
only the common, well-typed shape: messages whose content is a string or a list of text, image,
document, search_result, tool_use, tool_result, thinking and redacted_thinking blocks, with the fields the
walk reads typed as the API wants them. Anything else (another block type, a field of the wrong type, a
missing required field, a body that is not valid JSON) fails the decode, and `analyze()` takes the full
path (orjson, then `walk_messages`), which reports what is wrong. So the schema never decides a finding:
it only decides which path runs.

What no rule reads is not built: tool inputs are skipped (an empty struct checks that each is an object),
the text of blocks nested in a tool_result and of system blocks is skipped, image sources and `tools` are
kept as `Raw` byte spans (a length, a memcmp), and the small top-level objects (thinking, tool_choice,
container, thread, cache_control) are spans loaded with orjson when present, so the checks see exactly the
values the full path sees. Scalars are typed (model a str, max_tokens an int, ...). Unknown fields are
ignored, as the full walk ignores them; the fields it reads are declared, so their presence is seen, and
the ones whose presence alone is a finding are `Absent`: any value fails the decode.

The structs are not tracked by the cyclic collector (`gc=False`: they hold no cycles), so decoding a
long history triggers no collection passes over them.

One difference in what is rejected: msgspec does not check that the bytes inside a skipped value (tool
input, tools, system, image source) are valid UTF-8, where orjson refuses the whole body. Such a body is
analysed on the fast path instead of being reported unparsed (the API rejects it either way).
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any, Literal

import msgspec
import orjson
from msgspec import UNSET, Raw, Struct, UnsetType
from msgspec.structs import astuple as astuple  # (re-exported: the walk reads fields with it)

# a field that must be absent: any value fails the decode (no integer is >= 1 and <= 0), so a block that
# carries it goes to the full path without the walk looking
Absent = Annotated[int, msgspec.Meta(ge=1, le=0)] | UnsetType


class _Object(Struct, gc=False):
    """Any JSON object, its members skipped (a tool's input)."""


class _Block(Struct, tag_field="type", gc=False):
    pass


class TextBlock(_Block, tag="text"):
    text: str
    cache_control: Any = None


class ImageBlock(_Block, tag="image"):
    source: Raw | UnsetType = UNSET  # only its length is read: the base64 string is shorter than the span
    cache_control: Any = None


class DocumentBlock(_Block, tag="document"):
    cache_control: Any = None


class SearchResultBlock(_Block, tag="search_result"):
    cache_control: Any = None


class ToolUseBlock(_Block, tag="tool_use"):
    id: str
    name: str
    input: _Object
    cache_control: Any = None
    caller: Any = UNSET  # the SDK echoes the API's {"type": "direct"}; code_execution callers matter
    toolset_name: Any = UNSET  # present (even null): an MCP toolset member, not a tools[] entry
    # streaming leftovers (tool_use_streaming_fields): the full path reports them
    index: Absent = UNSET
    partial_json: Absent = UNSET
    text: Absent = UNSET


class ThinkingBlock(_Block, tag="thinking"):
    thinking: str
    signature: str
    cache_control: Absent = UNSET  # cache_control_on_thinking: the full path


class RedactedThinkingBlock(_Block, tag="redacted_thinking"):
    data: str
    cache_control: Absent = UNSET


# blocks inside a tool_result's content: only their type, cache_control and what the checks read
class NestedText(_Block, tag="text"):
    cache_control: Any = None


class NestedToolReference(_Block, tag="tool_reference"):
    tool_name: Any = None
    cache_control: Any = None


NestedBlock = NestedText | ImageBlock | DocumentBlock | SearchResultBlock | NestedToolReference


class ToolResultBlock(_Block, tag="tool_result"):
    tool_use_id: str
    content: str | list[NestedBlock] | None = None
    is_error: Any = None
    cache_control: Any = None


Block = (
    TextBlock
    | ImageBlock
    | DocumentBlock
    | SearchResultBlock
    | ToolUseBlock
    | ToolResultBlock
    | ThinkingBlock
    | RedactedThinkingBlock
)


class Message(Struct, gc=False):
    # a Literal decodes to the one interned string (no allocation, compared by identity); invalid roles
    # fail the decode: the full path reads them. System messages inside messages[] (Claude Code sends
    # them, with per-message fields such as output_config, which are ignored as the full walk ignores them)
    # are walked here when they hold text only
    role: Literal["user", "assistant", "system"]
    content: str | list[Block]


class SystemBlock(Struct, gc=False):
    """One block of the top-level system list: only its cache_control is read (the text is skipped)."""

    cache_control: Any = None


class Request(Struct, gc=False):
    messages: list[Message]
    # scalars typed as the API wants them (another type fails the decode: the full path reports it)
    model: str | UnsetType = UNSET
    max_tokens: int | UnsetType = UNSET
    stream: bool | UnsetType = UNSET
    temperature: int | float | UnsetType = UNSET
    system: str | list[SystemBlock] | UnsetType = UNSET
    # the rest as byte spans (UNSET when absent): tools[] is checked by span (see check_tools_span), the
    # small objects are loaded by orjson when present (see load)
    tools: Raw | UnsetType = UNSET
    thinking: Raw | UnsetType = UNSET
    tool_choice: Raw | UnsetType = UNSET
    container: Raw | UnsetType = UNSET
    thread: Raw | UnsetType = UNSET
    cache_control: Raw | UnsetType = UNSET


_DECODER = msgspec.json.Decoder(Request)
BLOCK_TYPES: dict[type, str] = {
    TextBlock: "text",
    ImageBlock: "image",
    DocumentBlock: "document",
    SearchResultBlock: "search_result",
    ToolUseBlock: "tool_use",
    ToolResultBlock: "tool_result",
    ThinkingBlock: "thinking",
    RedactedThinkingBlock: "redacted_thinking",
}


class _KnownTools:
    """A tools[] span seen before, and where it sat in that body (from its start and from its end)."""

    __slots__ = ("bytes", "from_end", "from_start", "raw")

    def __init__(self, span: bytes, from_start: int, from_end: int) -> None:
        self.bytes = span
        self.raw = Raw(span)  # the same bytes as a Raw that owns them (what req.tools then holds)
        self.from_start = from_start
        self.from_end = from_end


# tools[] spans seen recently (an agent sends the same tool set, often most of its body, on every request):
# where a body holds one byte for byte at the offset it had before (from the start or from the end of the
# body), the decode runs around it (msgspec skips that much less) and the span is put back. Bounded: at
# most KNOWN_TOOLS_MAX spans of at most KNOWN_TOOLS_MAX_BYTES each; cleared by core.clear_caches()
KNOWN_TOOLS: list[_KnownTools] = []  # most recently used first
KNOWN_TOOLS_MAX = 4
KNOWN_TOOLS_MIN_BYTES = 1024  # below, decoding around the span saves less than the splice costs
KNOWN_TOOLS_MAX_BYTES = 512 * 1024
# what stands in for the known span in the spliced body: a string holding a per-process random nonce, so
# that the top-level tools value decodes to exactly these bytes only when it is the spliced-in one
_MARK = b'"\\u0000claude-otel:known-tools:' + secrets.token_hex(16).encode() + b'"'
_MARK_RAW = Raw(_MARK)
_ERRORS = (msgspec.DecodeError, TypeError, ValueError, RecursionError)


def decode_request(raw: bytes | bytearray | memoryview | str, learn: bool = True) -> Request | None:
    """The body as a Request, or None when it does not fit the schema (the full path then runs).
    `learn`: remember where its tools[] span sits (else the caller may, with learn_tools)."""
    if raw.__class__ is bytes and KNOWN_TOOLS and len(raw) > KNOWN_TOOLS_MIN_BYTES:
        req = _decode_around_known(raw)  # type: ignore[arg-type]
        if req is not None:
            return req
    try:
        req = _DECODER.decode(raw)
    except _ERRORS:
        return None
    if learn and raw.__class__ is bytes and req.tools.__class__ is Raw:
        learn_tools(raw, req.tools)  # type: ignore[arg-type]
    return req


def _decode_around_known(raw: bytes) -> Request | None:
    """The body decoded with a known tools[] span spliced out and put back, when the body holds one where
    it was seen before and it is the top-level tools value; None otherwise (the caller decodes it whole).

    Why that is the decode of the body: the mark decodes as the top-level tools value only if it stands
    where that value starts (the nonce occurs nowhere else), so the parser is at the start of a value at
    `p`, having read the same bytes as in the body; the span is one whole JSON value (it was decoded as
    one), so after it the parser is where it is after the mark, and the rest of the bytes are the same."""
    n = len(raw)
    for known in KNOWN_TOOLS:
        span = known.bytes
        size = len(span)
        if size >= n or size * 4 < n:  # (the splice copies the body: worth it when the span is most of it)
            continue
        p = n - known.from_end
        if not (p > 0 and raw.startswith(span, p)):
            p = known.from_start
            if not raw.startswith(span, p):
                continue
        try:
            req = _DECODER.decode(raw[:p] + _MARK + raw[p + size :])
        except _ERRORS:
            return None  # (the span was not a value there: the whole body says what it is)
        if req.tools == _MARK_RAW:
            req.tools = known.raw
            if KNOWN_TOOLS[0] is not known:
                KNOWN_TOOLS.remove(known)
                KNOWN_TOOLS.insert(0, known)
            return req
        return None
    return None


def learn_tools(raw: bytes, tools: Raw) -> None:
    """Remember where this body's tools[] span sits, for the next body (found by its first bytes and
    compared whole; still never assumed: _decode_around_known checks it by decoding)."""
    size = len(tools)
    if size < KNOWN_TOOLS_MIN_BYTES or size > KNOWN_TOOLS_MAX_BYTES:
        return
    span = bytes(tools)
    known = None
    for k in KNOWN_TOOLS:
        if k.bytes == span:
            known = k
            if raw.startswith(span, k.from_start) or raw.startswith(span, len(raw) - k.from_end):
                return  # where it was, yet not the tools value there: nothing better to remember
            break
    head = span[:64]
    p = raw.find(head)
    while p >= 0 and not raw.startswith(span, p):
        p = raw.find(head, p + 1)
    if p < 0:
        return
    if known is not None:  # moved (what comes before or after it changed size)
        known.from_start, known.from_end = p, len(raw) - p
        return
    KNOWN_TOOLS.insert(0, _KnownTools(span, p, len(raw) - p))
    del KNOWN_TOOLS[KNOWN_TOOLS_MAX:]


def load(raw: Raw) -> Any:
    """One Raw span as orjson reads it (the same values the full path sees)."""
    return orjson.loads(memoryview(raw))
