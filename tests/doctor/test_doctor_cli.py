"""`claude-otel doctor` as the installed console script: paths, CLAUDE_CONFIG_DIR, exit status, --json,
--fix writing a copy next to the original, and no content in any output."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from transcript_builder import CANARY, SESSION, Transcript, tool_session


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / "claude-otel"
    exe = str(script) if script.exists() else shutil.which("claude-otel") or "claude-otel"
    full_env = {"PATH": os.environ.get("PATH", ""), **(env or {})}
    return subprocess.run([exe, "doctor", *args], capture_output=True, text=True, env=full_env, timeout=60)


def _project(root: Path) -> Path:
    project = root / "projects" / "-work-project"
    tool_session().write(project / "11111111-1111-4111-8111-111111111111.jsonl")
    tool_session(damage=True).write(project / f"{SESSION}.jsonl")
    interrupted = Transcript(session="22222222-2222-4222-8222-222222222222")
    interrupted.prompt("go")
    interrupted.assistant(interrupted.tool_use())
    interrupted.write(project / "22222222-2222-4222-8222-222222222222.jsonl")
    return project


def test_folder_scan_names_the_broken_session_and_exits_1(tmp_path: Path) -> None:
    project = _project(tmp_path)
    proc = _cli(str(project))
    assert proc.returncode == 1, proc.stderr
    out = proc.stdout
    assert f"{SESSION}.jsonl" in out and "BROKEN" in out
    assert "first broken entry: line 5 · uuid 00000000-0000-4000-8000-000000000005" in out
    assert "rule tool_result_not_first at messages.2.content.1" in out
    assert "rewind to the prompt at line 1 · uuid 00000000-0000-4000-8000-000000000001" in out
    assert "Claude Code repairs this itself on resume" in out  # the interrupted session, healthy
    assert "3 session(s): 2 healthy, 1 broken, 0 empty" in out
    assert CANARY not in out + proc.stderr


def test_no_path_reads_claude_config_dir_and_json_is_content_free(tmp_path: Path) -> None:
    _project(tmp_path)
    proc = _cli("--json", env={"CLAUDE_CONFIG_DIR": str(tmp_path), "HOME": str(tmp_path / "nohome")})
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["summary"] == {"sessions": 3, "healthy": 2, "broken": 1, "empty": 0}
    broken = [s for s in doc["sessions"] if s["status"] == "broken"]
    assert broken[0]["broken"]["line"] == 5 and broken[0]["rewind_to"]["line"] == 1
    assert broken[0]["evidence"]["skeleton"]["message_count"] == 7
    interrupted = [s for s in doc["sessions"] if s["claude_code_repairs"]]
    assert interrupted[0]["status"] == "healthy"
    assert interrupted[0]["claude_code_repairs"][0]["kind"] == "interrupted_tool_call"
    assert CANARY not in proc.stdout


def test_show_prompts_prints_the_first_words_of_the_rewind_prompt(tmp_path: Path) -> None:
    path = tool_session(damage=True).write(tmp_path / "s.jsonl")
    proc = _cli(str(path), "--show-prompts")
    assert proc.returncode == 1
    assert '"please read the notes CANARY-doctor-9c1e-do-not-leak"' in proc.stdout
    assert proc.stdout.count(CANARY) == 1  # only the prompt words, nothing else


def test_healthy_exits_0_and_bad_usage_exits_2(tmp_path: Path) -> None:
    path = tool_session().write(tmp_path / "ok.jsonl")
    assert _cli(str(path)).returncode == 0
    missing = _cli(str(tmp_path / "nope"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    assert _cli("--fix").returncode == 2


def test_fix_writes_a_healthy_copy_next_to_the_original_which_stays_byte_identical(tmp_path: Path) -> None:
    project = _project(tmp_path)
    original = project / f"{SESSION}.jsonl"
    before = original.read_bytes()
    proc = _cli("--fix", str(original))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert original.read_bytes() == before
    assert "tool_result_not_first: moved 1 tool_result block(s) before the other blocks" in proc.stdout
    assert "line 5 (uuid 00000000-0000-4000-8000-000000000005): message.content rewritten" in proc.stdout
    command = proc.stdout.strip().splitlines()[-1]
    assert command.startswith("resume it with: cd /work/project && claude --resume ")
    new_id = command.rsplit(" ", 1)[1]
    copy = project / f"{new_id}.jsonl"
    assert copy.exists() and len(copy.read_bytes().splitlines()) == len(before.splitlines())
    assert _cli(str(copy)).returncode == 0
    assert CANARY not in proc.stdout
    # by session id, and a healthy session needs nothing
    again = _cli("--fix", new_id, env={"CLAUDE_CONFIG_DIR": str(tmp_path)})
    assert again.returncode == 0 and "healthy; nothing to fix" in again.stdout
