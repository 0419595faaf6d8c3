"""claude-otel next to OpenLLMetry's `opentelemetry-instrumentation-anthropic` (AnthropicInstrumentor): what
a user gets. Nothing needs configuring: every request is counted and classified, and the verdict lands on
the SDK's `anthropic.messages.create` span and its `POST` child. OpenLLMetry starts its `anthropic.chat`
span without making it current, so that span is the root of a trace of its own, apart from the SDK's call
span and the `POST` span (the README says so). Runs in its own process (the peer sets global providers)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip(
    "opentelemetry.instrumentation.anthropic",
    reason="OpenLLMetry is not installed (pip install -e '.[peers]')",
)

APP = Path(__file__).with_name("peer_app.py")


@pytest.mark.slow
def test_openllmetry_next_to_claude_otel_gets_every_request_and_the_verdict() -> None:
    out = subprocess.run(
        [sys.executable, str(APP), "openllmetry"], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-3000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["requests"] == 3
    assert got["tool_result_missing"] == 1
    assert got["suppressed"] == 0 and got["warnings"] == []
    assert ["com.anthropic.sdk.python", "anthropic.messages.create", "tool_result_missing"] in got[
        "categories_by_scope"
    ]
    assert ["opentelemetry.instrumentation.httpx", "POST", "tool_result_missing"] in got[
        "categories_by_scope"
    ]
    spans = got["spans"]
    chat = [s for s in spans if s[0] == "opentelemetry.instrumentation.anthropic"]
    posts = [s for s in spans if s[1] == "POST"]
    calls = {s[4]: s for s in spans if s[1] == "anthropic.messages.create"}
    assert len(chat) == len(posts) == len(calls) == 3
    for post in posts:  # each POST is the child of the SDK's call span, in the call span's trace
        assert post[3] in calls and calls[post[3]][2] == post[2]
    # OpenLLMetry's span is a root, in a trace that none of the SDK's or httpx's spans share
    assert all(s[3] is None for s in chat)
    assert not {s[2] for s in chat} & {s[2] for s in posts}
