"""Incident records as text (pure): the list table, bursts, and the evidence packet as Markdown."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from claude_otel.core.classify import CATEGORY_INFO

__all__ = ["bursts", "packet_markdown", "parse_since", "table"]

_SINCE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_since(text: str) -> float:
    """``90s``, ``15m``, ``2h``, ``7d``, ``1w`` (a bare number is seconds) -> seconds."""
    m = _SINCE.match(text)
    if not m:
        raise ValueError(f"--since wants a duration like 30m, 2h or 7d, got {text!r}")
    return float(m.group(1)) * _UNIT[m.group(2)]


def bursts(records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Group attempt records by burst (one failure experienced each), newest burst first. Each entry is the
    burst's first record plus ``attempts`` (how many records) and ``last_time``."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for r in records:
        groups.setdefault(str(r.get("burst_id") or r.get("id")), []).append(r)
    out = []
    for members in groups.values():
        members = sorted(members, key=lambda r: (r.get("ts") or 0, r.get("burst_attempt") or 0))
        first = dict(members[0])
        first["attempts"] = len(members)
        first["last_time"] = members[-1].get("time")
        first["attempt_records"] = [
            {
                k: m.get(k)
                for k in (
                    "id",
                    "time",
                    "status",
                    "category",
                    "retry_header",
                    "burst_attempt",
                    "request_id",
                    "betas",
                )
            }
            for m in members
        ]
        first["session_stuck"] = any(m.get("session_stuck") for m in members)
        out.append(first)
    out.sort(key=lambda r: r.get("ts") or 0, reverse=True)
    return out


def table(rows: Sequence[Mapping[str, Any]]) -> str:
    if not rows:
        return "no incidents"
    header = ("ID", "TIME (UTC)", "KIND", "STATUS", "CATEGORY", "PREDICTION", "CLIENT", "ATTEMPTS", "SESSION")
    lines = [header]
    for r in rows:
        session = str(r.get("session") or "-")
        if len(session) > 32:
            session = session[:31] + "…"
        lines.append(
            (
                str(r.get("id")),
                str(r.get("time") or "")[:23].replace("T", " "),
                str(r.get("kind")),
                str(r.get("status") if r.get("status") is not None else "-"),
                str(r.get("category") or "-"),
                str(r.get("prediction") or "-"),
                str(r.get("client_version") or r.get("client") or "-"),
                str(r.get("attempts", 1)) + (" stuck" if r.get("session_stuck") else ""),
                session,
            )
        )
    widths = [max(len(row[i]) for row in lines) for i in range(len(header))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in lines
    )


def _what_to_do(r: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    client = r.get("client")
    kind = r.get("kind")
    rewind = r.get("rewind_to_message")
    fail = r.get("failing_message")
    fixes = [f for f in r.get("findings") or () if f.get("severity") == "error" and f.get("fix")]
    if kind == "predicted_error":
        out.append(
            "The request was predicted to fail but the API accepted it: the rule may be stricter than the "
            "API. Attach this packet to a claude-otel issue (`claude-otel rules` names the rule)."
        )
        return out
    if client in ("claude-code", "claude-agent-sdk"):
        if fail is not None:
            where = f"message {rewind}" if rewind is not None else "an earlier prompt"
            out.append(
                f"Claude Code: the transcript is broken at messages[{fail}] and every resume resends it. "
                f"Rewind the session (Esc Esc, or /rewind) to the prompt at {where}, before the broken turn, "
                "or start a new session; retrying will fail the same way."
            )
        else:
            out.append("Claude Code: retrying the same session sends the same request; rewind or start anew.")
        if r.get("session", "").startswith("claude-code:"):
            sid = str(r["session"]).split(":", 1)[1]
            out.append(
                f"The transcript is `~/.claude/projects/<project>/{sid}.jsonl`: attach its error entry "
                "(`isApiErrorMessage`) and this packet to the bug report."
            )
    for f in fixes[:5]:
        out.append(f"Fix `{f.get('path')}` ({f.get('rule')}): {f.get('fix')}.")
    category = r.get("category")
    if not fixes and category and category in CATEGORY_INFO:
        out.append(f"Category `{category}`: {CATEGORY_INFO[category]}.")
    if r.get("prediction") == "unexplained":
        out.append(
            "claude-otel did not predict this 400: report the error message and this packet so a rule "
            "can be added."
        )
    if r.get("session_stuck"):
        out.append(
            "The session is stuck: its last attempts all failed the same way and nothing succeeded since."
        )
    return out or ["No known fix: keep this packet with the request id for Anthropic support."]


def count(n: object, noun: str) -> str:
    """'1 message', '3 messages' (a value that is not a number is shown as it is)."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _turn_line(m: Mapping[str, Any]) -> str:
    if "elided" in m:
        return f"- … {count(m['elided'], 'message')} elided …"
    blocks = m.get("blocks") or ()
    # the failing message is marked once: on its failing block when the path names one, else at the end
    block_marked = any(b.get("failing") for b in blocks)
    mark = " **← failing**" if m.get("failing") and not block_marked else ""
    head = f"- `[{m.get('i')}]` {m.get('role')}"
    if m.get("content") == "string":
        return f"{head}: text ({m.get('chars')} chars){mark}"
    parts = []
    for b in blocks:
        t = b.get("type")
        if t in ("tool_use", "server_tool_use", "mcp_tool_use"):
            desc = f"{t} `{b.get('id')}` {b.get('name')}"
        elif t == "tool_result":
            desc = f"tool_result → `{b.get('tool_use_id')}`" + (" (is_error)" if b.get("is_error") else "")
        elif "chars" in b:
            desc = f"{t} ({b['chars']} chars)"
        else:
            desc = str(t)
        if b.get("failing"):
            desc = f"**{desc} ← failing**"
        parts.append(desc)
    if m.get("blocks_elided"):
        parts.append(f"… {m['blocks_elided']} block(s) elided")
    return f"{head}: " + ", ".join(parts) + mark


def packet_markdown(r: Mapping[str, Any]) -> str:
    """The evidence packet as Markdown, ready to paste into a bug report (content-free)."""
    lines = [f"# claude-otel incident {r.get('id')}", ""]
    summary = [
        ("Time (UTC)", r.get("time")),
        ("Kind", r.get("kind")),
        ("Client", r.get("client_version") or r.get("client")),
        ("User-Agent", r.get("user_agent")),
        ("Model", r.get("model")),
        ("Endpoint", r.get("endpoint")),
        ("HTTP status", r.get("status")),
        ("error.type", r.get("error_type")),
        ("Category", r.get("category")),
        ("Prediction", f"{r.get('prediction')} (predicted: {r.get('predicted')})"),
        ("Request id", r.get("request_id")),
        ("Trace / span", f"{r.get('trace_id')} / {r.get('span_id')}" if r.get("trace_id") else None),
        ("Session", r.get("session")),
        (
            "Attempts",
            f"{r.get('attempts', 1)} (retry burst {r.get('burst_id')})"
            + ("; session stuck" if r.get("session_stuck") else ""),
        ),
        ("Request body", f"{r.get('body_bytes')} bytes" if r.get("body_bytes") is not None else None),
        ("Betas", ", ".join(r.get("betas") or ()) or None),
        ("Failing turn's tools", ", ".join(r.get("failing_turn_tools") or ()) or None),
        (
            "Tool ids at the failing turn",
            ", ".join(f"`{t}`" for t in r.get("failing_tool_ids") or ()) or None,
        ),
        ("Failing path", _failing_path(r)),
        (
            "Rewind to",
            f"messages[{r['rewind_to_message']}]" if r.get("rewind_to_message") is not None else None,
        ),
    ]
    lines += ["| | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in summary if v is not None]
    lines += ["", "## Error message from the API", ""]
    msg = r.get("error_message")
    lines.append(f"```\n{msg}\n```" if msg else "_not kept (error messages switched off, or none)_")
    lines += ["", "## Findings", ""]
    findings = r.get("findings") or []
    if findings:
        for f in findings:
            lines.append(
                f"- **{f.get('rule')}** ({f.get('severity')}) at `{f.get('path')}`: {f.get('message')}"
            )
    else:
        lines.append("_none: claude-otel saw nothing wrong in the request's shape_")
    lines += ["", "## What to do", ""]
    lines += [f"- {line}" for line in _what_to_do(r)]
    attempts = r.get("attempt_records") or []
    if len(attempts) > 1:
        lines += ["", "## Attempts", "", "| # | time | status | category | x-stainless-retry-count | betas |"]
        lines.append("|---|---|---|---|---|---|")
        for a in attempts:
            lines.append(
                f"| {a.get('burst_attempt')} | {a.get('time')} | {a.get('status')} | {a.get('category')} | "
                f"{a.get('retry_header')} | {len(a.get('betas') or ())} |"
            )
    skel = r.get("skeleton") or {}
    lines += ["", "## Message shape (content-free)", ""]
    if skel.get("messages"):
        lines.append(
            f"{skel.get('message_count')} messages; shown: the first, around the failing one, the last."
        )
        lines.append("")
        lines += [_turn_line(m) for m in skel["messages"]]
    else:
        lines.append("_no skeleton_")
    lines.append("")
    return "\n".join(lines)


def _failing_path(r: Mapping[str, Any]) -> str | None:
    for f in r.get("findings") or ():
        if f.get("severity") == "error":
            return f"`{f.get('path')}`"
    if r.get("failing_message") is not None:
        block = r.get("failing_block")
        return f"`messages.{r['failing_message']}" + (f".content.{block}`" if block is not None else "`")
    return None
