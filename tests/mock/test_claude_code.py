"""End to end: Claude Code (installed from npm into a temporary folder) runs a whole tool loop against the
mock: it streams with ``?beta=true``, sends ``role: "system"`` messages inside messages[], runs its real
Read and Write tools on local files, and finishes with the mock's answer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from claude_code_task import claude_code_task

from claude_otel.mock import MockServer


@pytest.mark.slow
def test_claude_code_runs_a_tool_loop_against_the_mock(claude_bin: Path, tmp_path: Path) -> None:
    task = claude_code_task(tmp_path, "mock")
    with MockServer(task.config) as server:
        result = task.run(claude_bin, server.base_url, "test")
        stats = dict(server.stats)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert report["is_error"] is False and report["subtype"] == "success"
    assert report["result"] == "Done after 2 tool rounds."
    # round 1: Read; round 2: Write and Read in parallel -> three tool results, none failed
    assert task.out.read_text() == "written by Claude Code through the mock\n"
    assert stats["tool_results"] == 3 and stats.get("tool_result_errors", 0) == 0
    assert stats["stop_reason:tool_use"] == 2 and stats["stop_reason:end_turn"] >= 1
    assert stats["beta_requests"] == stats["stream_requests"] == stats["requests"] >= 3
    assert stats["system_role_requests"] >= 1
    assert not [k for k in stats if k.startswith("error:") and k != "error:not_found_error"], stats
