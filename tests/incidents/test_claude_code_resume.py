"""Done-when of issue 15 with the real client: Claude Code (from npm) resumes a transcript whose tool_result
was placed after a text block, through the proxy, against the mock. Claude Code >= 2.1.332 sends it six
times (shedding betas and rewriting its injected system message as it goes, x-stainless-retry-count: 0 on
every attempt); the proxy counts exactly six attempts, one failure experienced and five repeats, a stuck
session, and writes one incident of six attempts whose packet names claude-cli/<version>, the rule, the
path, the tool id and the message to rewind to. The transcript's text never reaches the store."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from claude_otel.mock import MockConfig, MockServer
from claude_otel.proxy.app import ProxyConfig
from claude_otel.proxy.factory import create_proxy
from claude_otel.proxy.server import ThreadedServer

SESSION = "3f0d1c2b-4a5e-4f60-8a71-9b8c7d6e5f41"
SECRET = "SECRET-TRANSCRIPT-TEXT-c0ffee"
PINNED = (2, 1, 332)  # from this version on, Claude Code resends a 400 six times


def claude_version(binary: Path) -> tuple[int, ...]:
    out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=60).stdout
    match = re.match(r"\s*(\d+)\.(\d+)\.(\d+)", out)
    assert match, f"claude --version: {out!r}"
    return tuple(int(x) for x in match.groups())


def write_transcript(work: Path, home: Path) -> Path:
    """A session file as Claude Code 2.1.332 writes it (docs: shared reference, claude-code-transcripts)."""
    # the project folder: the working directory with every character but letters and digits as "-"
    project = home / ".claude" / "projects" / re.sub(r"[^A-Za-z0-9]", "-", str(work.resolve()))
    project.mkdir(parents=True)
    common = {"sessionId": SESSION, "version": "2.1.332", "cwd": str(work.resolve()), "isSidechain": False}
    common |= {"userType": "external", "timestamp": "2026-12-05T09:00:00.000Z"}
    u1, a1, u2, a2 = (str(uuid.uuid4()) for _ in range(4))
    usage = {"input_tokens": 10, "output_tokens": 5}
    tool_use = {"type": "tool_use", "id": "toolu_01BrokenResume", "name": "Read", "input": {"file_path": "n"}}
    entries = [
        {
            **common,
            "type": "user",
            "uuid": u1,
            "parentUuid": None,
            "message": {"role": "user", "content": SECRET},
        },
        {
            **common,
            "type": "assistant",
            "uuid": a1,
            "parentUuid": u1,
            "message": {
                "id": "msg_01A",
                "type": "message",
                "role": "assistant",
                "model": "claude-sonnet-4-5",
                "content": [tool_use],
                "stop_reason": "tool_use",
                "usage": usage,
            },
        },
        {
            **common,
            "type": "user",
            "uuid": u2,
            "parentUuid": a1,
            "sourceToolAssistantUUID": a1,
            "message": {
                "role": "user",
                "content": [
                    {"type": "text", "text": SECRET},  # the broken turn: text before the tool_result
                    {"type": "tool_result", "tool_use_id": "toolu_01BrokenResume", "content": SECRET},
                ],
            },
        },
        {
            **common,
            "type": "assistant",
            "uuid": a2,
            "parentUuid": u2,
            "message": {
                "id": "msg_01B",
                "type": "message",
                "role": "assistant",
                "model": "claude-sonnet-4-5",
                "content": [{"type": "text", "text": SECRET}],
                "stop_reason": "end_turn",
                "usage": usage,
            },
        },
    ]
    path = project / f"{SESSION}.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in entries))
    return path


@pytest.mark.slow
def test_claude_code_resume_of_a_broken_transcript_is_one_incident_of_six_attempts(
    claude_bin: Path, tmp_path
):
    work, home, db = tmp_path / "work", tmp_path / "home", tmp_path / "incidents.sqlite"
    work.mkdir()
    write_transcript(work, home)
    with MockServer(MockConfig(), host="127.0.0.1", port=0) as mock:
        proxy = create_proxy(ProxyConfig(upstream=mock.base_url, trust_env=False), incidents_path=str(db))
        with ThreadedServer(proxy.app) as server:
            env = {
                "PATH": "/usr/bin:/bin:/usr/local/bin",
                "HOME": str(home),
                "ANTHROPIC_BASE_URL": server.base_url,
                "ANTHROPIC_API_KEY": "sk-ant-resume-test",
                "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
            }
            import os

            env["PATH"] = os.environ.get("PATH", env["PATH"])
            run = subprocess.run(
                [str(claude_bin), "--resume", SESSION, "-p", "go on", "--output-format", "json"],
                cwd=work,
                env=env,
                capture_output=True,
                text=True,
                timeout=240,
            )
            page = httpx.get(server.base_url + "/_claude-otel/metrics", timeout=10).text
        from claude_otel.incidents.recorder import live_forensics

        for f in live_forensics():
            if f.writer is not None and f.path == str(db):
                assert f.writer.flush(20)
    assert run.stdout.strip(), run.stderr[-2000:]
    result = json.loads(run.stdout)
    assert result["is_error"] is True and result.get("api_error_status") == 400, run.stdout[-2000:]
    attempts = sum(
        float(line.rsplit(" ", 1)[1])
        for line in page.splitlines()
        if line.startswith("claude_otel_requests_total{") and 'outcome="invalid_request"' in line
    )
    version = claude_version(claude_bin)
    experienced = (
        'claude_otel_failures_experienced_total{category="tool_result_missing",client="claude-code"} 1.0'
    )
    assert experienced in page
    repeats = 'claude_otel_failure_repeats_total{category="tool_result_missing",client="claude-code"}'
    stuck = 'claude_otel_stuck_sessions{category="tool_result_missing"} 1.0' in page
    if version >= PINNED:
        # Claude Code >= 2.1.332 resends a 400 six times: one failure experienced, five repeats, stuck
        assert attempts == 6, page
        assert f"{repeats} 5.0" in page and stuck, page
    else:  # older versions, as npm may serve elsewhere, resend it once or twice
        assert attempts >= 1, page
        if attempts > 1:
            assert f"{repeats} {attempts - 1}" in page
        assert stuck == (attempts >= 3)

    cli = [sys.executable, "-m", "claude_otel.cli", "incidents", "--db", str(db)]
    rows = subprocess.run([*cli, "list", "--json"], capture_output=True, text=True, check=True).stdout
    (incident,) = [json.loads(line) for line in rows.splitlines()]
    assert incident["attempts"] == attempts and incident["session_stuck"] is (attempts >= 3)
    assert incident["client_version"] == "claude-cli/" + ".".join(map(str, version))
    # what the proxy saw on each attempt: Claude Code sends x-stainless-retry-count: 0 on every one of its
    # retries (they are its own, not the SDK's), so only the conversation's signature ties them together
    per_attempt = subprocess.run(
        [*cli, "list", "--attempts", "--json"], capture_output=True, text=True, check=True
    ).stdout
    seen = sorted((json.loads(line) for line in per_attempt.splitlines()), key=lambda r: r["ts"])
    assert len(seen) == attempts
    if version >= PINNED:
        assert [r["retry_header"] for r in seen] == [0] * 6
        assert [r["repeat_of_failure"] for r in seen] == [False] + [True] * 5
    packet = subprocess.run([*cli, "show", incident["id"]], capture_output=True, text=True, check=True).stdout
    for expected in (
        "tool_result_not_first",
        "`messages.",
        "`toolu_01BrokenResume`",
        "Rewind the session",
        SESSION,
    ):
        assert expected in packet, (expected, packet)
    exported = subprocess.run([*cli, "export"], capture_output=True, text=True, check=True).stdout
    assert SECRET not in exported + packet and "sk-ant-resume-test" not in exported + packet
