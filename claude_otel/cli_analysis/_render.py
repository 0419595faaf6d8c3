"""Human-readable rendering of findings and skeletons (plain text, one body at a time)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from claude_otel.core import Finding

_HEAD, _TAIL = 4, 8  # messages always shown around gaps in long transcripts
_CONTEXT = 1  # messages shown either side of one a finding names
_MAX_BLOCKS = 12  # blocks listed per message before eliding
_MESSAGE_PATH = re.compile(r"^messages\.(\d+)")


def findings_lines(findings: Sequence[Finding]) -> list[str]:
    lines: list[str] = []
    for f in findings:
        message, _, fix = f.message.partition("; fix: ")
        lines.append(f"  {f.severity:<7} {f.rule}  at {f.path or '(body)'}")
        lines.append(f"          {message}")
        if fix:
            lines.append(f"          fix: {fix}")
    return lines


def _block(b: dict[str, Any]) -> str:
    t = str(b.get("type", "?"))
    parts = [t]
    for key in ("id", "name", "tool_name"):
        if b.get(key):
            parts.append(str(b[key]))
    if b.get("tool_use_id"):
        parts.append(f"->{b['tool_use_id']}")
    if b.get("is_error"):
        parts.append("is_error")
    if "chars" in b:
        parts.append(f"{b['chars']}ch")
    if "input_bytes" in b:
        parts.append(f"{b['input_bytes']}B")
    if "data_chars" in b:
        parts.append(f"{b['data_chars']}b64")
    if b.get("cache_control"):
        parts.append("cache")
    if b.get("extra_fields"):
        parts.append("extra:" + ",".join(map(str, b["extra_fields"])))
    text = " ".join(parts)
    inner = b.get("content")
    if isinstance(inner, list) and inner:
        text += " [" + ", ".join(_block(x) for x in inner if isinstance(x, dict)) + "]"
    elif b.get("tool_references"):
        text += " refs:" + ",".join(str(r) for r in b["tool_references"])
    return text


def _message(m: dict[str, Any]) -> str:
    head = f"  {m.get('i', '?'):>4} {m.get('role', '?')!s:<10}"
    blocks = m.get("blocks")
    if isinstance(blocks, list):
        shown = [_block(b) for b in blocks[:_MAX_BLOCKS] if isinstance(b, dict)]
        if len(blocks) > _MAX_BLOCKS:
            shown.append(f"... {len(blocks) - _MAX_BLOCKS} more")
        return head + " | ".join(shown) if shown else head + "(no blocks)"
    content = m.get("content")
    if content == "string":
        return head + f"text (string) {m.get('chars', 0)}ch"
    return head + f"content {content}"


def _wanted(count: int, paths: Iterable[str]) -> set[int]:
    keep = set(range(min(_HEAD, count))) | set(range(max(0, count - _TAIL), count))
    for path in paths:
        m = _MESSAGE_PATH.match(path)
        if m:
            i = int(m.group(1))
            keep |= set(range(max(0, i - _CONTEXT - 1), min(count, i + _CONTEXT + 1)))
    return keep


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def skeleton_lines(skel: dict[str, Any], finding_paths: Iterable[str] = ()) -> list[str]:
    """A compact skeleton: one line of top-level facts, tools, then one line per message.

    Long transcripts show the first and last messages and those around each finding's path.
    """
    top = [f"{k}={_scalar(skel[k])}" for k in ("model", "max_tokens", "stream") if skel.get(k) is not None]
    messages = skel.get("messages") if isinstance(skel.get("messages"), list) else []
    lines = [f"  skeleton: {' '.join(top)} messages={len(messages)}".rstrip()]
    tools = skel.get("tools")
    if isinstance(tools, list) and tools:
        names = []
        for t in tools[:30]:
            if isinstance(t, dict):
                flag = "(deferred)" if t.get("defer_loading") else ""
                names.append(f"{t.get('name')}{flag}")
        more = f" ... {len(tools) - 30} more" if len(tools) > 30 else ""
        lines.append(f"  tools: {', '.join(names)}{more}")
    keep = _wanted(len(messages), finding_paths)
    gap = False
    for i, m in enumerate(messages):
        if i not in keep:
            gap = True
            continue
        if gap:
            lines.append("   ...")
            gap = False
        lines.append(_message(m) if isinstance(m, dict) else f"  {i:>4} ?")
    if gap:
        lines.append("   ...")
    return lines
