"""Where the sessions are (I/O): a session file, a project folder, or Claude Code's projects folder."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path

from .diagnose import SessionReport, diagnose
from .reader import read_transcript


def projects_root(env: Mapping[str, str] | None = None) -> Path:
    """``$CLAUDE_CONFIG_DIR/projects`` when set, else ``~/.claude/projects``."""
    env = os.environ if env is None else env
    config = env.get("CLAUDE_CONFIG_DIR")
    base = Path(config).expanduser() if config else Path(env.get("HOME") or Path.home()) / ".claude"
    return base / "projects"


def session_files(path: Path) -> list[Path]:
    """The session transcripts under ``path`` (itself when it is a file), sorted."""
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*.jsonl") if p.is_file())


def find_session(arg: str, env: Mapping[str, str] | None = None) -> Path | None:
    """A session named by its file path or by its id (``<id>.jsonl`` under the projects folder)."""
    p = Path(arg).expanduser()
    if p.is_file():
        return p
    root = projects_root(env)
    if root.is_dir() and "/" not in arg:
        for hit in sorted(root.rglob(f"{arg}.jsonl")):
            return hit
    return None


def diagnose_file(
    path: Path, *, show_prompts: bool = False, claude_version: str | None = None
) -> SessionReport:
    """Stream one file through the reader and diagnose it."""
    with path.open("rb") as fh:
        transcript = read_transcript(fh)
    return diagnose(transcript, str(path), show_prompts=show_prompts, claude_version=claude_version)


def diagnose_all(
    paths: list[Path], *, show_prompts: bool = False, claude_version: str | None = None
) -> Iterator[SessionReport]:
    for p in paths:
        yield diagnose_file(p, show_prompts=show_prompts, claude_version=claude_version)
