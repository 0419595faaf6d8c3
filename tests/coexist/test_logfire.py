"""claude-otel next to Pydantic Logfire's instrument_anthropic(): what a user gets.

Logfire's default (suppress_other_instrumentation=True) silences the httpx instrumentation under its call
span, so claude-otel's hooks never run: the application's log must say so once, and the count grows. With
suppress_other_instrumentation=False everything works, the verdict on the SDK's call span (a child
of Logfire's) included.
Each case runs in its own process (Logfire sets global providers).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("logfire", reason="Logfire is not installed (pip install -e '.[peers]')")

APP = Path(__file__).with_name("peer_app.py")


def run(mode: str) -> dict:
    out = subprocess.run([sys.executable, str(APP), mode], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_logfire_default_suppresses_the_hooks_and_the_log_says_so_once() -> None:
    got = run("logfire-default")
    assert got["requests"] == 0, "Logfire's default silences the httpx instrumentation (and our hooks)"
    assert got["suppressed"] == 3
    assert len(got["warnings"]) == 1
    assert "suppress_other_instrumentation=False" in got["warnings"][0]


@pytest.mark.slow
def test_logfire_without_suppression_gets_everything() -> None:
    got = run("logfire-no-suppress")
    assert got["requests"] == 3
    assert got["tool_result_missing"] == 1
    assert got["suppressed"] == 0 and got["warnings"] == []
    # the verdict on the call span the SDK opens under Logfire's span (the hooks see their direct parent)
    assert ["com.anthropic.sdk.python", "anthropic.messages.create", "tool_result_missing"] in got[
        "categories_by_scope"
    ]
