"""The incident record: the content-free evidence packet of one failing (or predicted-to-fail) attempt.

Pure: the request's bytes, headers and the error in, a JSON-ready dict out. Nothing here keeps message
text, tool inputs or outputs, thinking, signatures or keys: the skeleton comes from
``claude_otel.core.skeleton`` (sizes, types, ids, names), the findings from the core (content-free lines),
the API's error message is optional (``error_message=False``) and bounded to 2 KB.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from functools import partial
from typing import Any

import msgspec
import orjson

from claude_otel.core.client_label import parse_user_agent
from claude_otel.core.memo import ChecksumMemo
from claude_otel.core.rules import rule_info
from claude_otel.core.skeleton import skeleton

from .split import last_prompt, message_dict, split

__all__ = [
    "KINDS",
    "MAX_ERROR_MESSAGE",
    "build_record",
    "client_version_string",
    "failing_index",
    "new_incident_id",
    "window_skeleton",
]

KINDS = ("http_error", "stream_error", "guard_block", "predicted_error")
MAX_ERROR_MESSAGE = 2048
MAX_SKELETON_BYTES = 48 * 1024
HEAD, AROUND, TAIL = 2, 3, 2  # messages kept: the first, either side of the failing one, the last
MAX_BLOCKS = 48  # blocks kept per message (the first 40 and the last 8)
MAX_TOOLS = 64
_MSG_INDEX = re.compile(r"\bmessages\.(\d{1,7})(?:\.content\.(\d{1,7}))?")
_BETA_OK = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_UA_SAFE = re.compile(r"[^\x20-\x7e]")
_AGENT_SDK = re.compile(r"agent-sdk/([0-9][0-9A-Za-z.+-]{0,31})")


def new_incident_id() -> str:
    return secrets.token_hex(8)


def utc_iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def client_version_string(user_agent: str | None) -> tuple[str, str | None]:
    """(client label, the full client version as support asks for it, e.g. ``claude-cli/2.1.332`` or
    ``anthropic-sdk-python 2.17.0``; None when the User-Agent carries no well-formed version)."""
    label, version = parse_user_agent(user_agent)
    if version is None:
        return label, None
    if label in ("claude-code", "claude-agent-sdk"):
        text = f"claude-cli/{version}"
        m = _AGENT_SDK.search(user_agent or "")
        if m:
            text += f" agent-sdk/{m.group(1)}"
        return label, text
    return label, f"{label} {version}"


def failing_index(paths: Iterable[str | None]) -> tuple[int | None, int | None]:
    """(message index, content index) of the first path that names a message."""
    for path in paths:
        if not path:
            continue
        m = _MSG_INDEX.search(path)
        if m:
            block = int(m.group(2)) if m.group(2) is not None else None
            return int(m.group(1)), block
    return None, None


def _window_blocks(message: dict[str, Any], mark: int | None) -> dict[str, Any]:
    blocks = message.get("blocks")
    out = dict(message)
    if isinstance(blocks, list):
        blocks = [dict(b) for b in blocks]
        if mark is not None and 0 <= mark < len(blocks):
            blocks[mark]["failing"] = True
        if len(blocks) > MAX_BLOCKS:
            keep_head = MAX_BLOCKS - 8
            if mark is not None and keep_head <= mark < len(blocks) - 8:
                kept = [*blocks[: keep_head - 1], blocks[mark], *blocks[-8:]]
            else:
                kept = blocks[:keep_head] + blocks[-8:]
            out["blocks_elided"] = len(blocks) - len(kept)
            blocks = kept
        out["blocks"] = blocks
    return out


def window_skeleton(
    skel: Mapping[str, Any], fail_msg: int | None, fail_block: int | None, around: int = AROUND
) -> dict[str, Any]:
    """The skeleton with its messages windowed: the first ``HEAD``, ``around`` either side of the failing
    message (marked ``failing``), the last ``TAIL``; elided runs become ``{"elided": n}``. Bounded to
    ``MAX_SKELETON_BYTES`` (the window narrows, then tools go, then messages go)."""
    out = {k: v for k, v in skel.items() if k not in ("messages", "tools", "system")}
    system = skel.get("system")
    if isinstance(system, Mapping):
        blocks = system.get("blocks")
        out["system"] = {"blocks": len(blocks)} if isinstance(blocks, list) else dict(system)
    tools = skel.get("tools")
    if isinstance(tools, list):
        out["tools_count"] = len(tools)
        out["tools"] = tools[:MAX_TOOLS]
    messages = skel.get("messages")
    if isinstance(messages, list):
        by_index = {m.get("i"): m for m in messages if isinstance(m, Mapping)}
        n = int(skel.get("message_count") or len(messages))
        keep: set[int] = set(range(min(HEAD, n))) | set(range(max(0, n - TAIL), n))
        if fail_msg is not None:
            keep |= set(range(max(0, fail_msg - around), min(n, fail_msg + around + 1)))
            prompt = rewind_target(skel, fail_msg)
            if prompt is not None:
                keep.add(prompt)
        windowed: list[dict[str, Any]] = []
        last = -1
        for i in sorted(keep):
            if i - last > 1:
                windowed.append({"elided": i - last - 1})
            last = i
            m = by_index.get(i)
            if m is None:
                windowed.append({"i": i, "role": "unknown"})
                continue
            mark = fail_block if i == fail_msg else None
            entry = _window_blocks(dict(m), mark)
            if i == fail_msg:
                entry["failing"] = True
            windowed.append(entry)
        if n - 1 > last:
            windowed.append({"elided": n - 1 - last})
        out["messages"] = windowed
    data = orjson.dumps(out)
    if len(data) <= MAX_SKELETON_BYTES:
        return out
    if around > 0:
        return window_skeleton(skel, fail_msg, fail_block, around=around - 1)
    if "tools" in out:
        out["tools"] = []
        out["tools_elided"] = True
        if len(orjson.dumps(out)) <= MAX_SKELETON_BYTES:
            return out
    out.pop("messages", None)
    out["messages_elided"] = True
    return out


def _failing_turn_tools(skel: Mapping[str, Any], fail_msg: int | None) -> list[str]:
    """Tool names the failing turn used: its tool_use blocks, or (a user turn) the tools its results
    answer, named through the tool_use blocks before it."""
    messages = skel.get("messages")
    if fail_msg is None or not isinstance(messages, list):
        return []
    names: dict[str, str] = {}
    target: Mapping[str, Any] | None = None
    for m in messages:
        if not isinstance(m, Mapping):
            continue
        for b in m.get("blocks") or ():
            if (
                isinstance(b, Mapping)
                and b.get("type") in ("tool_use", "server_tool_use", "mcp_tool_use")
                and isinstance(b.get("id"), str)
                and isinstance(b.get("name"), str)
            ):
                names[b["id"]] = b["name"]
        if m.get("i") == fail_msg:
            target = m
            break
    if target is None:
        return []
    out: list[str] = []
    for b in target.get("blocks") or ():
        if not isinstance(b, Mapping):
            continue
        name = b.get("name") if b.get("type") in ("tool_use", "server_tool_use", "mcp_tool_use") else None
        if name is None and isinstance(b.get("tool_use_id"), str):
            name = names.get(b["tool_use_id"])
        if isinstance(name, str) and name not in out:
            out.append(name)
    if not out and target.get("role") == "assistant":
        return out
    if not out:  # a user turn without results: the assistant turn before it
        prev = [m for m in messages if isinstance(m, Mapping) and m.get("i") == fail_msg - 1]
        if prev:
            for b in prev[0].get("blocks") or ():
                name = b.get("name") if isinstance(b, Mapping) and b.get("type") == "tool_use" else None
                if isinstance(name, str) and name not in out:
                    out.append(name)
    return out[:32]


def _failing_tool_ids(skel: Mapping[str, Any], fail_msg: int | None) -> list[str]:
    messages = skel.get("messages")
    if fail_msg is None or not isinstance(messages, list):
        return []
    out: list[str] = []
    for m in messages:
        if isinstance(m, Mapping) and m.get("i") in (fail_msg, fail_msg + 1):
            for b in m.get("blocks") or ():
                if isinstance(b, Mapping):
                    for key in ("id", "tool_use_id"):
                        v = b.get(key)
                        if isinstance(v, str) and v not in out:
                            out.append(v)
    return out[:32]


def rewind_target(skel: Mapping[str, Any], fail_msg: int | None) -> int | None:
    """The last user prompt (a user message without tool_result blocks) before the failing message: the
    turn to rewind a Claude Code session to. None when there is none."""
    messages = skel.get("messages")
    if fail_msg is None or not isinstance(messages, list):
        return None
    best = None
    for m in messages:
        if not isinstance(m, Mapping) or not isinstance(m.get("i"), int) or m["i"] >= fail_msg:
            continue
        if m.get("role") != "user":
            continue
        blocks = m.get("blocks")
        if m.get("content") == "string" or (
            isinstance(blocks, list)
            and not any(isinstance(b, Mapping) and b.get("type") == "tool_result" for b in blocks)
        ):
            best = m["i"]
    return best


def _is_prompt(message: Any) -> bool:
    if not isinstance(message, dict) or message.get("role") != "user":
        return False
    content = message.get("content")
    if isinstance(content, str):
        return True
    return isinstance(content, list) and not any(
        isinstance(b, dict) and b.get("type") == "tool_result" for b in content
    )


def _last_prompt_of_spans(spans: list[msgspec.Raw], end: int) -> int | None:
    for i in range(end - 1, -1, -1):
        if _is_prompt(orjson.loads(bytes(spans[i]))):
            return i
    return None


_TOP = msgspec.json.Decoder(dict[str, msgspec.Raw])
_SPANS = msgspec.json.Decoder(list[msgspec.Raw])
# the top-level fields the skeleton reads (the others are kept by name only)
_SKELETON_FIELDS = frozenset(
    {"model", "stream", "max_tokens", "system", "thinking", "tool_choice", "container", "thread", "tools"}
)


# the fields a client sends the same on every request (Claude Code: 25 tools, a 12 KB system prompt): their
# skeletons are remembered by the field's length and CRC-32 (a few entries: bounded, content-free)
_REPEATED = ("tools", "system")
# (bounded: 16 skeletons, each made from at most 1 MiB of tools or system; a larger one is made every time)
_PARTS = ChecksumMemo(entries=16, max_input_bytes=1 << 20)


def _part(name: str, span: msgspec.Raw) -> Any:
    return _PARTS.get(
        span, lambda: skeleton({name: orjson.loads(memoryview(span))}, parsed_json=True).get(name), name
    )


def _with_parts(skel: dict[str, Any], top: dict[str, msgspec.Raw]) -> dict[str, Any]:
    """The skeleton given its ``tools`` and ``system`` (made apart, remembered)."""
    for name in _REPEATED:
        if name in top:
            part = _part(name, top[name])
            if part is not None:
                skel[name] = part
    return skel


def _window_of(n: int, findings: Sequence[Any], error_message: str | None, prompt_before: Any) -> list[int]:
    """The indices of the messages the record shows, of ``n``: the first, around the failing one, the last,
    and the last user prompt before the failing one (``prompt_before(i)``: the last prompt before i)."""
    if n <= HEAD + TAIL + 2 * AROUND + 1:
        return list(range(n))
    paths = [f.path for f in findings if f.severity == "error"]
    fail_msg, _ = failing_index([*paths, error_message])
    keep = set(range(HEAD)) | set(range(n - TAIL, n))
    if fail_msg is not None and fail_msg >= 0:  # (at or past the end: the message that should have come)
        keep |= set(range(max(0, fail_msg - AROUND), min(n, fail_msg + AROUND + 1)))
        prompt = prompt_before(min(fail_msg, n))
        if prompt is not None:
            keep.add(prompt)
    return sorted(keep)


def _windowed_skeleton_source(
    raw: bytes, findings: Sequence[Any], error_message: str | None
) -> dict[str, Any]:
    """The skeleton of only the messages the record will show (first, around the failing one, the last,
    and the last user prompt before the failing one), with their real indices. One pass splits the body
    into its top-level fields and its messages' roles and content spans without building them (msgspec,
    in C: ``split``); only the shown messages and the fields the skeleton reads are decoded: a 1,000-turn
    or 250 KB history costs less than a parse, on the writer thread that shares the GIL with the requests.
    A body with a top-level field the API does not define takes two passes (a dict of spans, then the
    messages' spans)."""
    parts = split(raw)
    if parts is not None:
        top, messages = parts
        shown: Any = None
        if messages is not None:
            n = len(messages)
            order = _window_of(n, findings, error_message, lambda end: last_prompt(messages, end))
            shown = [message_dict(messages[i]) for i in order]
    else:
        try:
            top = _TOP.decode(raw)
            spans = _SPANS.decode(top.pop("messages")) if "messages" in top else None
        except (msgspec.DecodeError, msgspec.ValidationError):  # not a JSON object, or messages not a list
            return skeleton(raw)
        shown = None
        if spans is not None:
            n = len(spans)
            order = _window_of(n, findings, error_message, partial(_last_prompt_of_spans, spans))
            shown = [orjson.loads(bytes(spans[i])) for i in order]
    parsed: dict[str, Any] = {
        k: orjson.loads(memoryview(v)) if k in _SKELETON_FIELDS and k not in _REPEATED else None
        for k, v in top.items()
    }
    if shown is None:
        out = _with_parts(skeleton(parsed, parsed_json=True), top)
        out["body_bytes"] = len(raw)
        return out
    parsed["messages"] = shown
    skel = _with_parts(skeleton(parsed, parsed_json=True), top)
    for m in skel.get("messages") or ():
        if isinstance(m, dict) and isinstance(m.get("i"), int):
            m["i"] = order[m["i"]]
    skel["message_count"] = n
    skel["body_bytes"] = len(raw)
    return skel


def _betas(value: str | None) -> list[str]:
    if not value:
        return []
    return [b for b in (p.strip() for p in value.split(",")[:32]) if _BETA_OK.fullmatch(b)]


def prediction_of(kind: str, predicted: str, status: int | None) -> str:
    """confirmed (predicted and got a 400, or blocked by the guard), unexplained (a 400 nobody predicted),
    predicted_but_succeeded, or not_predictable (429, 5xx, a mid-stream error: not about the shape)."""
    if kind == "predicted_error":
        return "predicted_but_succeeded"
    if kind == "guard_block":
        return "confirmed"
    if status == 400 and kind == "http_error":
        return "confirmed" if predicted == "error" else "unexplained"
    return "not_predictable"


def build_record(
    *,
    kind: str,
    raw: bytes | None,
    user_agent: str | None,
    betas: str | None,
    endpoint: str,
    predicted: str,
    findings: Sequence[Any],
    status: int | None = None,
    error_type: str | None = None,
    category: str | None = None,
    error_message: str | None = None,
    keep_error_message: bool = True,
    request_id: str | None = None,
    trace_id: int = 0,
    span_id: int = 0,
    retry_header: int | None = None,
    session: str | None = None,
    repeat_of_failure: bool = False,
    burst_id: str | None = None,
    burst_attempt: int = 0,
    session_streak: int = 0,
    stuck: bool = False,
    incident_id: str | None = None,
    now: float | None = None,
    with_skeleton: bool = True,
) -> dict[str, Any]:
    """One incident record (see the module doc). ``findings``: core ``Finding`` objects. A repeat of a
    failure (``with_skeleton=False``) skips the skeleton and what is read from it: its burst's first record
    has them, for the same conversation."""
    ts = time.time() if now is None else now
    incident_id = incident_id or new_incident_id()
    label, version = client_version_string(user_agent)
    skel = (
        _windowed_skeleton_source(raw, findings, error_message) if raw is not None and with_skeleton else {}
    )
    finding_dicts = []
    for f in list(findings)[:32]:
        try:
            fix = rule_info(f.rule).fix
        except Exception:
            fix = ""
        finding_dicts.append(
            {"rule": f.rule, "severity": f.severity, "path": f.path, "message": f.message[:512], "fix": fix}
        )
    errors_first = [f["path"] for f in finding_dicts if f["severity"] == "error"]
    fail_msg, fail_block = failing_index([*errors_first, error_message])
    message = None
    if keep_error_message and error_message:
        message = error_message[:MAX_ERROR_MESSAGE]
    model = skel.get("model") if isinstance(skel.get("model"), str) else None
    return {
        "id": incident_id,
        "time": utc_iso(ts),
        "ts": ts,
        "kind": kind,
        "trace_id": format(trace_id, "032x") if trace_id else None,
        "span_id": format(span_id, "016x") if span_id else None,
        "request_id": request_id[:128] if request_id else None,
        "client": label,
        "client_version": version,
        "user_agent": _UA_SAFE.sub("?", user_agent[:256]) if isinstance(user_agent, str) else None,
        "model": model,
        "endpoint": endpoint,
        "status": status,
        "error_type": error_type,
        "category": category,
        "predicted": predicted,
        "prediction": prediction_of(kind, predicted, status),
        "error_message": message,
        "findings": finding_dicts,
        "failing_message": fail_msg,
        "failing_block": fail_block,
        "failing_turn_tools": _failing_turn_tools(skel, fail_msg),
        "failing_tool_ids": _failing_tool_ids(skel, fail_msg),
        "rewind_to_message": rewind_target(skel, fail_msg),
        "body_bytes": len(raw) if raw is not None else None,
        "betas": _betas(betas),
        "retry_header": retry_header,
        "session": session,
        "repeat_of_failure": repeat_of_failure,
        "burst_id": burst_id or incident_id,
        "burst_attempt": burst_attempt,
        "session_streak": session_streak,
        "session_stuck": stuck,
        "skeleton": window_skeleton(skel, fail_msg, fail_block) if skel else None,
    }
