"""End to end: Claude Code (installed from npm into a temporary folder) runs a whole tool loop against the
mock: it streams with ``?beta=true``, sends ``role: "system"`` messages inside messages[], runs its real
Read and Write tools on local files, and finishes with the mock's answer."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from claude_otel.mock import MockConfig, MockServer


@pytest.mark.slow
def test_claude_code_runs_a_tool_loop_against_the_mock(claude_bin: Path, tmp_path: Path) -> None:
    work, home = tmp_path / "work", tmp_path / "home"
    work.mkdir()
    home.mkdir()
    note, out = work / "note.txt", work / "out.txt"
    note.write_text("a note for the mock test\n")
    config = MockConfig(
        tool_rounds=2,
        prefer_tools=("Read", "Write"),
        tool_inputs={
            "Read": {"file_path": str(note)},
            "Write": {"file_path": str(out), "content": "written by Claude Code through the mock\n"},
        },
    )
    with MockServer(config) as server:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(home),
            "ANTHROPIC_BASE_URL": server.base_url,
            "ANTHROPIC_API_KEY": "test",
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        }
        command = [str(claude_bin), "-p", "Read note.txt, then write out.txt.", "--output-format", "json"]
        result = subprocess.run(
            [*command, "--permission-mode", "acceptEdits"],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
        )
        stats = dict(server.stats)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert report["is_error"] is False and report["subtype"] == "success"
    assert report["result"] == "Done after 2 tool rounds."
    # round 1: Read; round 2: Write and Read in parallel -> three tool results, none failed
    assert out.read_text() == "written by Claude Code through the mock\n"
    assert stats["tool_results"] == 3 and stats.get("tool_result_errors", 0) == 0
    assert stats["stop_reason:tool_use"] == 2 and stats["stop_reason:end_turn"] >= 1
    assert stats["beta_requests"] == stats["stream_requests"] == stats["requests"] >= 3
    assert stats["system_role_requests"] >= 1
    assert not [k for k in stats if k.startswith("error:") and k != "error:not_found_error"], stats
