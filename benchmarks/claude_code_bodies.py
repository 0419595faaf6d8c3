"""Request bodies shaped like Claude Code's, generated, and the recorded real-client corpus when present.

Claude Code (2.1.33x) sends what SDK-built transcripts do not: `role: "system"` messages inside
messages[] (after the first user message, as `{"role": "system", "content": [], "output_config": ...}`
in --bare sessions or with text, and often last), thinking before every call, parallel tool calls whose
results come back in completion order, tool search (deferred tools, a ToolSearch call answered with
`tool_reference` blocks, the found tool called later), `<system-reminder>` text after tool results, a
cache breakpoint on the last message's last block, `metadata.user_id` as a JSON string, and a long
system prompt and tool set after the messages. `session(turns)` is one history; `request(history)` is
the body Claude Code would send for it; `steps()` yields each request of a session in turn (each the
previous one plus one turn: the steady state of a long session); `twin_steps()` those of two sessions that
open alike. `corpus()` reads the recorded bodies
of tests/fixtures/realclients/ (Claude Code, the agent SDK, the SDK) when that directory exists.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
CORPUS_DIR = ROOT / "tests" / "fixtures" / "realclients"

_WORDS = [
    "the",
    "file",
    "function",
    "test",
    "build",
    "passes",
    "fails",
    "import",
    "return",
    "error",
    "line",
    "column",
    "value",
    "config",
    "module",
    "should",
    "could",
    "would",
    "read",
    "write",
    "edit",
    "grep",
    "glob",
    "bash",
    "todo",
    "task",
    "result",
    "check",
    "run",
    "tool",
    "search",
    "found",
]

CC_TOOLS = [
    "Task",
    "Bash",
    "Glob",
    "Grep",
    "ExitPlanMode",
    "Read",
    "Edit",
    "MultiEdit",
    "Write",
    "NotebookEdit",
    "WebFetch",
    "TodoWrite",
    "WebSearch",
    "BashOutput",
    "KillShell",
    "ToolSearch",
]
DEFERRED = [
    f"mcp__{srv}__{op}" for srv in ("github", "linear", "sentry") for op in ("search", "get", "create")
]
CALLED = ["Bash", "Read", "Edit", "Grep", "Glob", "Write", "TodoWrite", "Task"]


def _prose(rng: random.Random, n: int) -> str:
    out, size = [], 0
    while size < n:
        w = rng.choice(_WORDS)
        out.append(w)
        size += len(w) + 1
    return " ".join(out)


def _id(rng: random.Random) -> str:
    return "toolu_01" + "".join(
        rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789") for _ in range(22)
    )


def _sig(rng: random.Random) -> str:
    return "".join(
        rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") for _ in range(320)
    )


def tools(rng: random.Random, description_chars: int = 1800) -> list[dict]:
    out: list[dict] = []
    for name in CC_TOOLS:
        out.append(
            {
                "name": name,
                "description": _prose(rng, description_chars),
                "input_schema": {
                    "type": "object",
                    "properties": {
                        "command": {"type": "string", "description": _prose(rng, 120)},
                        "timeout": {"type": "number"},
                    },
                    "required": ["command"],
                    "additionalProperties": False,
                    "$schema": "http://json-schema.org/draft-07/schema#",
                },
            }
        )
    for name in DEFERRED:
        out.append(
            {
                "name": name,
                "description": _prose(rng, 200),
                "input_schema": {"type": "object", "properties": {"q": {"type": "string"}}},
                "defer_loading": True,
            }
        )
    return out


def _reminder(rng: random.Random, n: int = 300) -> dict:
    return {"type": "text", "text": "<system-reminder>\n" + _prose(rng, n) + "\n</system-reminder>"}


def session(turns: int, *, seed: int = 1, result_chars: int = 1500, parallel_every: int = 4) -> list[dict]:
    """The history of a Claude Code session of `turns` assistant turns (the request's messages before
    Claude Code adds its trailing system message and cache breakpoint)."""
    rng = random.Random(seed)
    messages: list[dict] = [
        {"role": "user", "content": [_reminder(rng, 1200), {"type": "text", "text": _prose(rng, 300)}]},
        {"role": "system", "content": [{"type": "text", "text": _prose(rng, 200)}]},
    ]
    found: list[str] = []
    for t in range(turns):
        content: list[dict] = [{"type": "thinking", "thinking": _prose(rng, 400), "signature": _sig(rng)}]
        if t % 3 == 0 or t % 25 == 24:
            content.append({"type": "text", "text": _prose(rng, 150)})
        if t % 25 == 24:  # a final answer: the user asks for more (a system message follows the prompt)
            messages.append({"role": "assistant", "content": content})
            messages.append({"role": "user", "content": [{"type": "text", "text": _prose(rng, 200)}]})
            messages.append({"role": "system", "content": _prose(rng, 120)})
            continue
        calls: list[tuple[str, str]] = []
        if t % 10 == 5:  # tool search: the deferred tools it finds are called later
            calls.append((_id(rng), "ToolSearch"))
        else:
            n = 3 if t % parallel_every == parallel_every - 1 else 1
            for _ in range(n):
                name = rng.choice(found) if found and rng.random() < 0.2 else rng.choice(CALLED)
                calls.append((_id(rng), name))
        for tid, name in calls:
            content.append(
                {
                    "type": "tool_use",
                    "id": tid,
                    "name": name,
                    "input": {"command": _prose(rng, 80), "description": _prose(rng, 30)},
                }
            )
        messages.append({"role": "assistant", "content": content})
        results: list[dict] = []
        for tid, name in reversed(calls) if len(calls) > 1 else calls:  # completion order
            if name == "ToolSearch":
                picks = rng.sample(DEFERRED, 2)
                found.extend(p for p in picks if p not in found)
                body: object = [{"type": "tool_reference", "tool_name": p} for p in picks]
            elif rng.random() < 0.5:
                body = _prose(rng, result_chars)
            else:
                body = [{"type": "text", "text": _prose(rng, result_chars)}]
            r: dict = {"type": "tool_result", "tool_use_id": tid, "content": body}
            if rng.random() < 0.05:
                r["is_error"] = True
            results.append(r)
        if t % 7 == 3:
            results.append(_reminder(rng, 200))
        messages.append({"role": "user", "content": results})
    return messages


def request(
    history: list[dict],
    *,
    seed: int = 7,
    bare: bool = False,
    trailing_system: bool = True,
    system_chars: int = 12000,
) -> bytes:
    """The body Claude Code sends for this history: a cache breakpoint on the last block, a trailing
    system message, the --bare empty system message when `bare`, top-level fields in its order."""
    rng = random.Random(seed)  # the same seed: the same system prompt, tools and metadata every request
    messages = [dict(m) for m in history]
    if bare:
        messages[1] = {"role": "system", "content": [], "output_config": {"effort": "high"}}
    last = messages[-1]
    if isinstance(last["content"], list) and last["content"]:
        blocks = [dict(b) for b in last["content"]]
        blocks[-1]["cache_control"] = {"type": "ephemeral"}
        last["content"] = blocks
    if trailing_system and messages[-1]["role"] == "user":
        messages.append({"role": "system", "content": [{"type": "text", "text": _prose(rng, 160)}]})
    user_id = json.dumps(
        {"device_id": "d" * 64, "account_uuid": "", "session_id": "5e3c0b9e-0000-4000-8000-0123456789ab"}
    )
    body = {
        "model": "claude-opus-4-6",
        "messages": messages,
        "system": [
            {
                "type": "text",
                "text": "You are Claude Code, Anthropic's official CLI for Claude.",
                "cache_control": {"type": "ephemeral"},
            },
            {"type": "text", "text": _prose(rng, system_chars), "cache_control": {"type": "ephemeral"}},
        ],
        "tools": tools(rng),
        "metadata": {"user_id": user_id},
        "max_tokens": 32000,
        "thinking": {"type": "adaptive"},
        "context_management": {"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]},
        "output_config": {"effort": "high"},
        "stream": True,
    }
    return orjson.dumps(body)


def bodies() -> list[tuple[str, bytes]]:
    """A spread of Claude Code-shaped bodies like those of a day's sessions (about 50-200 KB)."""
    out: list[tuple[str, bytes]] = []
    for k, turns in enumerate((0, 1, 2, 4, 8, 12, 20, 30, 45, 60)):
        history = session(turns, seed=100 + k, result_chars=400 + 60 * k)
        out.append((f"cc {turns} turns{' bare' if k % 3 == 0 else ''}", request(history, bare=k % 3 == 0)))
    return out


def steps(turns: int, *, seed: int = 1, result_chars: int = 1500) -> Iterator[bytes]:
    """Every request of one session: the first with one turn, each next one the previous plus a turn."""
    history = session(turns, seed=seed, result_chars=result_chars)
    cuts = [i + 1 for i, m in enumerate(history) if m["role"] == "user" and i >= 2]
    for cut in cuts:
        yield request(history[:cut])


def twin_steps(turns: int, *, result_chars: int = 1500) -> tuple[list[bytes], list[bytes]]:
    """The requests of two sessions that open alike (one prompt in one checkout: the same first user and
    system messages, so the same first KB of every body) and then go their own ways, as `steps` makes
    them: what a fleet running one task sends concurrently."""
    a = session(turns, seed=1, result_chars=result_chars)
    b = session(turns, seed=2, result_chars=result_chars)
    b[0], b[1] = a[0], a[1]
    out = []
    for history in (a, b):
        cuts = [i + 1 for i, m in enumerate(history) if m["role"] == "user" and i >= 2]
        out.append([request(history[:cut]) for cut in cuts])
    return out[0], out[1]


def _restore_parts(body: dict, folder: Path) -> dict:
    """The recorder stores a large repeated top-level value (system, tools) once, under parts/, and leaves
    `{"$part": digest}` in its place: put the recorded value back (else the body is a stub)."""
    for key, value in list(body.items()):
        if isinstance(value, dict) and set(value) == {"$part"}:
            body[key] = orjson.loads((folder / "parts" / f"{value['$part']}.json").read_bytes())
    return body


def corpus() -> list[tuple[str, bytes]]:
    """The recorded real-client bodies (tests/fixtures/realclients/<client>/NNN-<scenario>.json), as
    (name, bytes): each record's "body" with its `{"$part": ...}` placeholders restored from the
    client's parts/ folder, serialised compactly as the clients send it (the full body, not the stub)."""
    out: list[tuple[str, bytes]] = []
    if not CORPUS_DIR.is_dir():
        return out
    for folder in sorted(p for p in CORPUS_DIR.iterdir() if p.is_dir()):
        for path in sorted(folder.glob("[0-9]*.json")):
            try:
                record = orjson.loads(path.read_bytes())
                body = record["body"] if isinstance(record, dict) and "body" in record else record
                if isinstance(body, str):
                    body = orjson.loads(body)
                if not (isinstance(body, dict) and isinstance(body.get("messages"), list)):
                    continue
                body = _restore_parts(body, folder)
            except (OSError, KeyError, orjson.JSONDecodeError):
                continue
            out.append((str(path.relative_to(CORPUS_DIR)), orjson.dumps(body)))
    return out
