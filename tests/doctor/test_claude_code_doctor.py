"""End to end with the real Claude Code CLI (from npm) against the mock: a tool session, its transcript
damaged the way that sticks (a text block before the tool_result of one user entry), every ``--resume``
failing with the 400, ``doctor`` naming that entry and the turn to rewind to, ``doctor --fix`` writing a
copy whose resume succeeds, and the unrepaired session resuming through the proxy with ``repair`` on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from claude_code_task import ClaudeCodeTask, claude_code_task

from claude_otel.mock import MockConfig, MockServer
from claude_otel.proxy.app import ProxyConfig
from claude_otel.proxy.factory import create_proxy
from claude_otel.proxy.server import ThreadedServer

API_KEY = "sk-ant-doctor-test-key"
DAMAGE = "CANARY-typed-while-the-tool-ran"


def _doctor(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "claude-otel"
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home)}
    return subprocess.run([str(exe), "doctor", *args], capture_output=True, text=True, env=env, timeout=120)


def _resume(
    task: ClaudeCodeTask, claude_bin: Path, base_url: str, session: str
) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(task.home),
        "ANTHROPIC_BASE_URL": base_url,
        "ANTHROPIC_API_KEY": API_KEY,
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
    }
    command = [str(claude_bin), "--resume", session, "-p", "Carry on.", "--output-format", "json"]
    return subprocess.run(command, cwd=task.work, env=env, capture_output=True, text=True, timeout=240)


def _damage(transcript: Path) -> tuple[int, str, int, str]:
    """Put a text block before the tool_result of the first result entry; (its line, uuid, the first
    prompt's line, uuid)."""
    lines = transcript.read_text().splitlines()
    prompt = next(
        (n, json.loads(raw)["uuid"])
        for n, raw in enumerate(lines, 1)
        if '"type":"user"' in raw and '"tool_result"' not in raw
    )
    for n, raw in enumerate(lines, 1):
        entry = json.loads(raw)
        content = entry.get("message", {}).get("content") if entry.get("type") == "user" else None
        if isinstance(content, list) and any(b.get("type") == "tool_result" for b in content):
            content.insert(0, {"type": "text", "text": DAMAGE})
            lines[n - 1] = json.dumps(entry, separators=(",", ":"))
            transcript.write_text("\n".join(lines) + "\n")
            return n, entry["uuid"], *prompt
    raise AssertionError("the session has no tool result entry")


class _HeaderRecorder:
    """ASGI wrapper keeping the response headers the proxy sends to Claude Code."""

    def __init__(self, app) -> None:
        self.app = app
        self.headers: list[dict[str, str]] = []

    async def __call__(self, scope, receive, send) -> None:
        async def recording_send(message) -> None:
            if message["type"] == "http.response.start":
                self.headers.append({k.decode(): v.decode() for k, v in message["headers"]})
            await send(message)

        await self.app(scope, receive, recording_send)


@pytest.fixture
def claude(request: pytest.FixtureRequest) -> Path:
    """The CLI under test: ``$CLAUDE_OTEL_TEST_CLAUDE`` (another installed version), else the npm install."""
    other = os.environ.get("CLAUDE_OTEL_TEST_CLAUDE")
    return Path(other) if other else request.getfixturevalue("claude_bin")


@pytest.mark.slow
def test_doctor_finds_fixes_and_repair_resumes_a_stuck_claude_code_session(
    claude: Path, tmp_path: Path
) -> None:
    task = claude_code_task(tmp_path, "doctor")
    with MockServer(task.config) as mock:
        first = task.run(claude, mock.base_url, API_KEY)
    assert first.returncode == 0, first.stderr[-2000:]
    session = json.loads(first.stdout)["session_id"]
    (transcript,) = (task.home / ".claude" / "projects").glob(f"*/{session}.jsonl")
    assert _doctor(str(transcript), home=task.home).returncode == 0  # healthy as Claude Code wrote it

    line, uuid, prompt_line, prompt_uuid = _damage(transcript)
    resume_config = MockConfig(tool_rounds=0)
    with MockServer(resume_config) as mock:
        stuck = _resume(task, claude, mock.base_url, session)
        stats = dict(mock.stats)
    assert stuck.returncode == 1
    assert "API Error: 400 due to tool use concurrency issues." in stuck.stdout
    assert stats["error:tool_result_missing"] == stats["requests"] >= 1  # every attempt rejected

    found = _doctor(str(transcript), home=task.home)
    assert found.returncode == 1, found.stdout + found.stderr
    assert f"first broken entry: line {line} · uuid {uuid}" in found.stdout
    assert "rule tool_result_not_first" in found.stdout
    assert f"rewind to the prompt at line {prompt_line} · uuid {prompt_uuid}" in found.stdout
    assert "API errors already recorded: 1 (last: line " in found.stdout and ", 400 " in found.stdout
    assert DAMAGE not in found.stdout and "note.txt" not in found.stdout  # no content without --show-prompts
    default = _doctor("--json", home=task.home)  # no PATH: $HOME/.claude/projects
    assert json.loads(default.stdout)["summary"]["broken"] == 1

    before = transcript.read_bytes()
    fixed = _doctor("--fix", str(transcript), home=task.home)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert transcript.read_bytes() == before  # never in place
    new_session = fixed.stdout.strip().rsplit(" ", 1)[1]
    assert f"claude --resume {new_session}" in fixed.stdout
    with MockServer(resume_config) as mock:
        resumed = _resume(task, claude, mock.base_url, new_session)
    assert resumed.returncode == 0, resumed.stdout[-2000:] + resumed.stderr[-2000:]
    assert json.loads(resumed.stdout)["is_error"] is False
    assert transcript.read_bytes() == before

    # the unrepaired session, through the proxy with repair on
    with MockServer(resume_config) as mock:
        proxy = create_proxy(ProxyConfig(upstream=mock.base_url, trust_env=False, repair=True))
        recorder = _HeaderRecorder(proxy.app)
        with ThreadedServer(recorder) as server:
            through = _resume(task, claude, server.base_url, session)
            page = httpx.get(server.base_url + "/_claude-otel/metrics", timeout=10).text
        stats = dict(mock.stats)
    assert through.returncode == 0, through.stdout[-2000:] + through.stderr[-2000:]
    assert json.loads(through.stdout)["is_error"] is False
    assert stats["stop_reason:end_turn"] == 1 and "error:tool_result_missing" not in stats, stats
    assert 'claude_otel_repairs_total{rule="tool_result_not_first"} 1.0' in page
    messages = [h for h in recorder.headers if "x-claude-otel-repaired" in h]
    assert [h["x-claude-otel-repaired"] for h in messages] == ["tool_result_not_first"]
    assert DAMAGE not in page
