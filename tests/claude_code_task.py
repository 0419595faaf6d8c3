"""The Claude Code end-to-end task shared by the mock and proxy tests: read a note, write a file, in two
tool rounds scripted by the mock (the installer is the ``claude_bin`` fixture in conftest.py)."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from claude_otel.mock import MockConfig


@dataclass(frozen=True)
class ClaudeCodeTask:
    """A folder where Claude Code reads ``note.txt`` and writes ``out.txt`` in two tool rounds, and the mock
    config that scripts exactly those tool calls."""

    work: Path
    home: Path
    note: Path
    out: Path
    config: MockConfig

    def run(self, claude_bin: Path, base_url: str, api_key: str) -> subprocess.CompletedProcess[str]:
        """``claude -p`` against ``base_url`` with only what it needs in its environment."""
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(self.home),
            "ANTHROPIC_BASE_URL": base_url,
            "ANTHROPIC_API_KEY": api_key,
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        }
        command = [str(claude_bin), "-p", "Read note.txt, then write out.txt.", "--output-format", "json"]
        return subprocess.run(
            [*command, "--permission-mode", "acceptEdits"],
            cwd=self.work,
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
        )


def claude_code_task(tmp_path: Path, via: str) -> ClaudeCodeTask:
    work, home = tmp_path / "work", tmp_path / "home"
    work.mkdir()
    home.mkdir()
    note, out = work / "note.txt", work / "out.txt"
    note.write_text(f"a note for the {via} test\n")
    written = f"written by Claude Code through the {via}\n"
    config = MockConfig(
        tool_rounds=2,
        prefer_tools=("Read", "Write"),
        tool_inputs={"Read": {"file_path": str(note)}, "Write": {"file_path": str(out), "content": written}},
    )
    return ClaudeCodeTask(work, home, note, out, config)
