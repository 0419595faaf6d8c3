"""skeleton(): the content-free message-shape sample an incident report keeps.

Roles, block types, tool ids and names, tool_use_id links, sizes (characters of text/thinking,
bytes of serialised tool input, characters of base64) and flags. Never text, tool input, tool
output, thinking, signatures or base64. Ids and names pass a strict character check, else they are
replaced by "<invalid>"; unknown block types become "other". Never raises.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import orjson

from .analysis import parse_body
from .walk import KNOWN_BLOCK_TYPES

_ID_RE = re.compile(r"[A-Za-z0-9_:.-]{1,128}")
_MEDIA_RE = re.compile(r"[a-z]{1,20}/[a-z0-9.+-]{1,50}")
_MAX_MESSAGES = 2000  # head and tail kept beyond this
_TOP_FIELDS = ("model", "stream", "max_tokens")


def _ident(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, str) and _ID_RE.fullmatch(v):
        return v
    return "<invalid>"


def _btype(t: Any) -> str:
    return t if isinstance(t, str) and t in KNOWN_BLOCK_TYPES else "other"


def _size(v: Any) -> int:
    if isinstance(v, str):
        return len(v)
    try:
        return len(orjson.dumps(v))
    except Exception:
        return -1


def _source(src: Any, out: dict) -> None:
    if not isinstance(src, dict):
        return
    st = src.get("type")
    out["source"] = st if st in ("base64", "url", "file", "text", "content") else "other"
    mt = src.get("media_type")
    if isinstance(mt, str) and _MEDIA_RE.fullmatch(mt):
        out["media_type"] = mt
    data = src.get("data")
    if isinstance(data, str):
        out["data_chars"] = len(data)


def _block(b: Any, depth: int = 0) -> dict:
    if not isinstance(b, dict):
        return {"type": "invalid", "json": type(b).__name__}
    t = b.get("type")
    out: dict[str, Any] = {"type": _btype(t)}
    if b.get("cache_control"):
        out["cache_control"] = True
    if t == "text":
        out["chars"] = _size(b.get("text"))
        if b.get("citations"):
            out["citations"] = len(b["citations"]) if isinstance(b["citations"], list) else 1
    elif t in ("tool_use", "server_tool_use", "mcp_tool_use"):
        out["id"] = _ident(b.get("id"))
        out["name"] = _ident(b.get("name"))
        out["input_bytes"] = _size(b.get("input"))
        if not isinstance(b.get("input"), dict):
            out["input_type"] = type(b.get("input")).__name__
        caller = b.get("caller")
        if isinstance(caller, dict):
            out["caller"] = _ident(caller.get("type"))
        extra = [k for k in ("index", "partial_json", "text") if k in b]
        if extra:
            out["extra_fields"] = extra
    elif t == "tool_result" or t == "mcp_tool_result" or (isinstance(t, str) and t.endswith("_tool_result")):
        out["tool_use_id"] = _ident(b.get("tool_use_id"))
        if "is_error" in b:
            out["is_error"] = b.get("is_error") is True
        c = b.get("content")
        if isinstance(c, list) and depth < 2:
            out["content"] = [_block(x, depth + 1) for x in c]
        elif isinstance(c, dict):
            out["content_type"] = _btype(c.get("type"))
            refs = c.get("tool_references")
            if isinstance(refs, list):
                out["tool_references"] = [_ident(r.get("tool_name")) for r in refs if isinstance(r, dict)]
            out["content_bytes"] = _size(c)
        elif c is not None:
            out["content_bytes"] = _size(c)
    elif t == "thinking":
        out["chars"] = _size(b.get("thinking"))
        out["signature_chars"] = _size(b.get("signature"))
    elif t == "redacted_thinking":
        out["data_chars"] = _size(b.get("data"))
    elif t in ("image", "document"):
        _source(b.get("source"), out)
    elif t == "tool_reference":
        out["tool_name"] = _ident(b.get("tool_name"))
    else:
        out["bytes"] = _size(b)
    return out


def _message(i: int, m: Any) -> dict:
    if not isinstance(m, dict):
        return {"i": i, "role": "invalid", "json": type(m).__name__}
    role = m.get("role")
    out: dict[str, Any] = {"i": i, "role": role if role in ("user", "assistant", "system") else "other"}
    c = m.get("content")
    if isinstance(c, str):
        out["content"] = "string"
        out["chars"] = len(c)
    elif isinstance(c, list):
        out["blocks"] = [_block(b) for b in c]
    else:
        out["content"] = "missing" if c is None else type(c).__name__
    return out


def _tool(t: Any) -> dict:
    if not isinstance(t, dict):
        return {"type": "invalid"}
    ttype = t.get("type")
    out: dict[str, Any] = {
        "name": _ident(t.get("name")),
        "type": _ident(ttype) if ttype is not None else "custom",
    }
    for flag in ("defer_loading", "strict"):
        if t.get(flag) is True:
            out[flag] = True
    if t.get("cache_control"):
        out["cache_control"] = True
    if "input_schema" in t:
        out["schema_bytes"] = _size(t.get("input_schema"))
    return out


def skeleton(body: bytes | str | Mapping, *, parsed_json: bool = False) -> dict:
    """Content-free skeleton of a request body (see module doc). Never raises.

    ``parsed_json=True``: ``body`` is a mapping just decoded from JSON (plain dicts, lists, strings), taken
    as it is without the JSON round trip a caller's mapping gets; ``body_bytes`` is then 0 (the caller
    knows the size)."""
    try:
        if parsed_json and isinstance(body, Mapping):
            parsed, size, err = body, 0, None
        else:
            parsed, size, err = parse_body(body)
        if err is not None:
            return {"body_bytes": size, "parse_error": err}
        if not isinstance(parsed, Mapping):
            return {
                "body_bytes": size,
                "parse_error": f"body is a JSON {type(parsed).__name__}, not an object",
            }
        out: dict[str, Any] = {"body_bytes": size}
        model = parsed.get("model")
        out["model"] = _ident(model)
        out["stream"] = parsed.get("stream") is True
        mt = parsed.get("max_tokens")
        out["max_tokens"] = mt if isinstance(mt, int) and not isinstance(mt, bool) else None
        system = parsed.get("system")
        if isinstance(system, str):
            out["system"] = {"content": "string", "chars": len(system)}
        elif isinstance(system, list):
            out["system"] = {"blocks": [_block(b) for b in system]}
        thinking = parsed.get("thinking")
        if isinstance(thinking, dict):
            th: dict[str, Any] = {"type": _ident(thinking.get("type"))}
            bt = thinking.get("budget_tokens")
            if isinstance(bt, int) and not isinstance(bt, bool):
                th["budget_tokens"] = bt
            out["thinking"] = th
        tc = parsed.get("tool_choice")
        if isinstance(tc, dict):
            out["tool_choice"] = {"type": _ident(tc.get("type")), "name": _ident(tc.get("name"))}
        container = parsed.get("container")
        if container is not None:
            cid = (
                container
                if isinstance(container, str)
                else container.get("id")
                if isinstance(container, dict)
                else None
            )
            out["container"] = {"id": _ident(cid)}
        thread = parsed.get("thread")
        if isinstance(thread, dict):
            out["thread"] = {
                "type": _ident(thread.get("type")),
                "previous_message_id": _ident(thread.get("previous_message_id")),
            }
        tools = parsed.get("tools")
        if isinstance(tools, list):
            out["tools"] = [_tool(t) for t in tools]
        messages = parsed.get("messages")
        if isinstance(messages, list):
            n = len(messages)
            out["message_count"] = n
            if n > _MAX_MESSAGES:
                half = _MAX_MESSAGES // 2
                idx = list(range(half)) + list(range(n - half, n))
                out["messages_elided"] = n - _MAX_MESSAGES
            else:
                idx = range(n)
            out["messages"] = [_message(i, messages[i]) for i in idx]
        out["top_level_keys"] = sorted(k for k in parsed if isinstance(k, str) and _ID_RE.fullmatch(k))[:64]
        return out
    except Exception as e:  # never raise into the caller
        return {"error": f"internal error: {type(e).__name__}"}
