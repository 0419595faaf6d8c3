"""The rebuild rules against the real Claude Code CLI: a tool session (two rounds, the second with two
parallel calls whose results are sibling branches) is damaged in each of the ways below, resumed with
``claude --resume``, and the first request the CLI sends is compared with the doctor's rebuild: the same
messages with the same tool_use / tool_result / thinking blocks (ids, is_error, and whether a result
follows another block) in the same order. Text blocks are left out of the comparison: the CLI injects its
own (reminders, ``role: system`` messages) that a transcript does not hold. Set CLAUDE_OTEL_TEST_CLAUDE to
the ``claude`` of another install to check that version (2.1.197 from npm and 2.1.332 both pass)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from claude_code_task import ClaudeCodeTask, claude_code_task

from claude_otel.doctor import diagnose, read_transcript
from claude_otel.mock import MockConfig, MockServer, create_app
from claude_otel.proxy.server import ThreadedServer

API_KEY = "sk-ant-rebuild-test-key"

Lines = list[dict[str, Any]]


def project(messages: list[dict[str, Any]]) -> list[tuple[str, tuple[Any, ...]]]:
    out: list[tuple[str, tuple[Any, ...]]] = []
    for m in messages:
        if m["role"] == "system":
            continue
        blocks = m["content"] if isinstance(m["content"], list) else []
        sig: list[Any] = []
        other = False
        for b in blocks:
            kind = b.get("type")
            if kind == "tool_use":
                sig.append(("tool_use", b["id"]))
            elif kind == "tool_result":
                sig.append(("tool_result", b["tool_use_id"], bool(b.get("is_error")), other))
            elif kind == "thinking":
                sig.append(("thinking",))
            elif m["role"] == "user":
                other = True
        if out and out[-1][0] == m["role"]:
            out[-1] = (m["role"], out[-1][1] + tuple(sig))
        else:
            out.append((m["role"], tuple(sig)))
    return out


class _Recorder:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.bodies: list[bytes] = []

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1/messages"):
            return await self.app(scope, receive, send)
        chunks: list[bytes] = []

        async def recording_receive():
            message = await receive()
            if message["type"] == "http.request":
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    self.bodies.append(b"".join(chunks))
            return message

        return await self.app(scope, recording_receive, send)


# --- the session, and where its entries are ---------------------------------------------------------


def _results(lines: Lines) -> list[int]:
    return [
        i
        for i, e in enumerate(lines)
        if e.get("type") == "user"
        and isinstance(e["message"].get("content"), list)
        and any(b.get("type") == "tool_result" for b in e["message"]["content"])
    ]


def _tool_uses(lines: Lines) -> list[int]:
    return [
        i
        for i, e in enumerate(lines)
        if e.get("type") == "assistant" and any(b.get("type") == "tool_use" for b in e["message"]["content"])
    ]


def _first_prompt(lines: Lines) -> int:
    return next(i for i, e in enumerate(lines) if e.get("type") == "user" and i not in _results(lines))


def _result_of(lines: Lines, use: int) -> int:
    return next(i for i in _results(lines) if lines[i].get("parentUuid") == lines[use]["uuid"])


def _content(e: dict[str, Any]) -> list[dict[str, Any]]:
    return e["message"]["content"]


def truncate_after(index: Callable[[Lines], int]) -> Callable[[Lines], Lines]:
    return lambda lines: lines[: index(lines) + 1]


def drop(index: Callable[[Lines], int]) -> Callable[[Lines], Lines]:
    return lambda lines: [e for i, e in enumerate(lines) if i != index(lines)]


def duplicate(lines: Lines) -> Lines:
    twice = {_results(lines)[0], _tool_uses(lines)[1], _result_of(lines, _tool_uses(lines)[1])}
    return [x for i, e in enumerate(lines) for x in ([e, e] if i in twice else [e])]


def first_result_with(change: Callable[[list[dict[str, Any]]], None]) -> Callable[[Lines], Lines]:
    def mutate(lines: Lines) -> Lines:
        change(_content(lines[_results(lines)[0]]))
        return lines

    return mutate


def reuse_id(lines: Lines) -> Lines:
    first_id = _content(lines[_tool_uses(lines)[0]])[0]["id"]
    use = _tool_uses(lines)[1]
    result = _result_of(lines, use)
    _content(lines[use])[0]["id"] = first_id
    _content(lines[result])[0]["tool_use_id"] = first_id
    return lines


def prompt_after_calls(lines: Lines) -> Lines:
    lines = lines[: _tool_uses(lines)[-1] + 1]
    prompt = json.loads(json.dumps(lines[_first_prompt(lines)]))
    prompt.update(uuid="aaaaaaaa-0000-4000-8000-000000000001", parentUuid=lines[-1]["uuid"])
    prompt["message"]["content"] = "a new prompt"
    return [*lines, prompt]


ORPHAN = {"type": "tool_result", "tool_use_id": "toolu_01XXXXXXXXXXXXXXXXXXXXXX", "content": "x"}
CASES: dict[str, Callable[[Lines], Lines]] = {
    "healthy": lambda lines: lines,
    "interrupted_both": truncate_after(lambda lines: _tool_uses(lines)[-1]),
    "sibling_result_lost": drop(lambda lines: _result_of(lines, _tool_uses(lines)[1])),
    "chain_result_lost": drop(lambda lines: _result_of(lines, _tool_uses(lines)[2])),
    "first_result_lost": drop(lambda lines: _results(lines)[0]),
    "duplicated_lines": duplicate,
    "orphan_result": first_result_with(lambda c: c.append(dict(ORPHAN))),
    "duplicated_result": first_result_with(lambda c: c.append(dict(c[0]))),
    "text_after_result": first_result_with(lambda c: c.append({"type": "text", "text": "after"})),
    "text_before_result": first_result_with(lambda c: c.insert(0, {"type": "text", "text": "before"})),
    "reused_tool_use_id": reuse_id,
    "prompt_after_calls": prompt_after_calls,
    "ends_on_results": truncate_after(lambda lines: max(_results(lines))),
    "ends_on_prompt": truncate_after(_first_prompt),
}


@pytest.fixture(scope="module")
def claude(request: pytest.FixtureRequest) -> Path:
    """The CLI under test: ``$CLAUDE_OTEL_TEST_CLAUDE`` (another installed version), else the npm install."""
    other = os.environ.get("CLAUDE_OTEL_TEST_CLAUDE")
    return Path(other) if other else request.getfixturevalue("claude_bin")


@pytest.fixture(scope="module")
def session(claude: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[ClaudeCodeTask, str, Path]:
    task = claude_code_task(tmp_path_factory.mktemp("rebuild"), "rebuild")
    with MockServer(task.config) as mock:
        run = task.run(claude, mock.base_url, API_KEY)
    assert run.returncode == 0, run.stderr[-2000:]
    session_id = json.loads(run.stdout)["session_id"]
    (transcript,) = (task.home / ".claude" / "projects").glob(f"*/{session_id}.jsonl")
    assert len(_tool_uses([json.loads(x) for x in transcript.read_text().splitlines()])) == 3
    return task, session_id, transcript


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(CASES))
def test_rebuild_matches_what_claude_code_sends_on_resume(
    case: str, session: tuple[ClaudeCodeTask, str, Path], claude: Path, tmp_path: Path
) -> None:
    task, session_id, original = session
    home = tmp_path / "home"
    shutil.copytree(task.home, home)
    transcript = home / original.relative_to(task.home)
    lines = CASES[case]([json.loads(x) for x in original.read_text().splitlines()])
    transcript.write_text("".join(json.dumps(e, separators=(",", ":")) + "\n" for e in lines))
    report = diagnose(read_transcript(transcript.read_bytes().splitlines()))
    assert report.rebuilt is not None
    mine = project([m.as_api() for m in report.rebuilt.messages])

    recorder = _Recorder(create_app(MockConfig(tool_rounds=0)))
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "ANTHROPIC_API_KEY": API_KEY,
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
    }
    with ThreadedServer(recorder) as server:
        env["ANTHROPIC_BASE_URL"] = server.base_url
        resumed = subprocess.run(
            [str(claude), "--resume", session_id, "-p", "Carry on.", "--output-format", "json"],
            cwd=task.work,
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
        )
    assert recorder.bodies, resumed.stdout[-2000:] + resumed.stderr[-2000:]
    theirs = project(json.loads(recorder.bodies[0])["messages"])
    assert mine == theirs
    if case == "text_before_result":
        assert resumed.returncode == 1 and report.status == "broken"
    else:
        assert resumed.returncode == 0, resumed.stdout[-2000:]
        assert report.status == "healthy", report.findings
