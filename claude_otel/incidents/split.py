"""One pass over a request body for the incident writer: its top-level fields as ``Raw`` spans and its
messages as (role, content span), never text. msgspec does it in C with a typed schema that knows the API's
top-level fields; a body with any other top-level field (or one whose values do not fit) is not split here
(``split`` returns None) and the caller takes the general way (a dict of spans, then the messages' spans).

``last_prompt`` finds the last user message without tool_result blocks before an index from the contents'
bytes, decoding only block types (all such messages in one call) when the bytes could hold a tool_result.
"""

from __future__ import annotations

from typing import Any

import msgspec
import orjson
from msgspec import UNSET, Raw, UnsetType

__all__ = ["TOP_FIELDS", "Message", "last_prompt", "message_dict", "split"]

# the request fields of the Messages API (and count_tokens); a body with another top-level key is not split
TOP_FIELDS = (
    "model",
    "max_tokens",
    "system",
    "tools",
    "tool_choice",
    "stream",
    "metadata",
    "temperature",
    "top_p",
    "top_k",
    "stop_sequences",
    "thinking",
    "container",
    "context_management",
    "output_config",
    "output_format",
    "mcp_servers",
    "service_tier",
    "thread",
    "inference_geo",
)
_ABSENT = Raw()  # a field present in the body is a span of at least one byte


class Message(msgspec.Struct, gc=False):  # (decoded JSON holds no cycles)
    role: Any = None
    content: Raw = _ABSENT


class _Block(msgspec.Struct, gc=False):
    type: Any = None


_Body = msgspec.defstruct(
    "_Body",
    [("messages", list[Message] | UnsetType, UNSET), *((name, Raw, _ABSENT) for name in TOP_FIELDS)],
    forbid_unknown_fields=True,
    gc=False,
)
_BODY = msgspec.json.Decoder(_Body)
_BLOCKS = msgspec.json.Decoder(list[_Block])
_LISTS = msgspec.json.Decoder(list[list[_Block]])


def split(raw: bytes) -> tuple[dict[str, Raw], list[Message] | None] | None:
    """({field: span} of the top-level fields present but ``messages``, the messages or None when absent),
    or None: not a JSON object of the known fields with ``messages`` a list of objects."""
    try:
        body = _BODY.decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    top = {name: span for name in TOP_FIELDS if len(span := getattr(body, name))}
    messages = body.messages
    return top, (None if messages is UNSET else messages)


def message_dict(m: Message) -> dict[str, Any]:
    """The message as the skeleton reads it (its role and its content, decoded)."""
    if not len(m.content):
        return {"role": m.role}
    return {"role": m.role, "content": orjson.loads(memoryview(m.content))}


def _has_tool_result(data: bytes) -> bool:
    try:
        return any(b.type == "tool_result" for b in _BLOCKS.decode(data))
    except msgspec.ValidationError:  # an element that is not an object
        return any(isinstance(b, dict) and b.get("type") == "tool_result" for b in orjson.loads(data))


def last_prompt(messages: list[Message], end: int) -> int | None:
    """The index of the last prompt (a user message whose content is a string, or a list without
    tool_result blocks) before ``end``, or None. The messages whose block types must be read (a tool
    loop's results, back to its prompt) are decoded together, in one call."""
    pending: list[int] = []
    datas: list[bytes] = []
    found = None
    for i in range(min(end, len(messages)) - 1, -1, -1):
        m = messages[i]
        if m.role != "user":
            continue
        data = bytes(m.content)
        first = data[:1]
        if first == b"[":
            if b"tool_result" in data or b"\\u" in data:
                pending.append(i)
                datas.append(data)
                continue
            found = i
            break
        if first == b'"':
            found = i
            break
    if not pending:
        return found
    try:
        lists = _LISTS.decode(b"[" + b",".join(datas) + b"]")
    except msgspec.ValidationError:  # a block that is not an object: one by one
        lists = None
    for k, i in enumerate(pending):
        if lists is None:
            has = _has_tool_result(datas[k])
        else:
            has = False
            for b in lists[k]:
                if b.type == "tool_result":
                    has = True
                    break
        if not has:
            return i
    return found
