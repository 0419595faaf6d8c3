"""Helpers for the CLI tests: run the installed `claude-otel` console script; build real request bodies.

A uniquely named module: `conftest` modules collide across test folders.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

CANARY = "CANARY-7f3a-do-not-leak"
MODEL = "claude-sonnet-4-5-20250929"
WEATHER = {
    "name": "get_weather",
    "description": "Weather for a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


def console_script() -> str:
    """The `claude-otel` script of this interpreter's environment (installed by `pip install -e .`)."""
    here = Path(sys.executable).parent / "claude-otel"
    if here.exists():
        return str(here)
    found = shutil.which("claude-otel")
    if found:
        return found
    pytest.fail("the claude-otel console script is not installed: run `pip install -e .` first")


def run_cli(*args: str, stdin: bytes | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [console_script(), *args],
        input=stdin if stdin is not None else b"",
        capture_output=True,
        timeout=120,
        cwd=cwd,
    )


def tool_loop_body(turns: int = 2, *, answer_last: bool = True, text: str = CANARY) -> dict[str, Any]:
    """A real tool loop: user asks, assistant calls get_weather, user returns the result, ..."""
    messages: list[dict[str, Any]] = [{"role": "user", "content": f"What's the weather? {text}"}]
    for i in range(turns):
        tid = f"toolu_01A09q90qw90lq9178{i:05d}"
        messages.append(
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": f"Checking {text}"},
                    {"type": "tool_use", "id": tid, "name": "get_weather", "input": {"city": text}},
                ],
            }
        )
        if i < turns - 1 or answer_last:
            messages.append(
                {
                    "role": "user",
                    "content": [{"type": "tool_result", "tool_use_id": tid, "content": f"18C {text}"}],
                }
            )
    if not answer_last:
        messages.append({"role": "user", "content": [{"type": "text", "text": f"never mind {text}"}]})
    return {"model": MODEL, "max_tokens": 1024, "tools": [WEATHER], "messages": messages}


def dump(body: Any) -> bytes:
    return orjson.dumps(body)
