"""The real-client corpus: what Claude Code, claude-agent-sdk and the anthropic SDK really sent (recorded by
``record.py`` against the mock). Every body the clients sent got a 200 from the real clients' point of view,
so none may give an error finding on either analysis path, and the mock must accept every one of them."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from analysis_paths import full_path_only
from corpus import load

from claude_otel.core import analyze, clear_caches
from claude_otel.mock import MockConfig, MockServer

CORPUS = load()
ACCEPTED = [r for r in CORPUS if r.status == 200]
# a body continuing a server-held thread (anthropic 2.17 tool_runner: thread.previous_message_id) names
# a message only the recording mock's memory holds: a fresh mock, like the real API, answers 404 for it
REPLAYABLE = [r for r in ACCEPTED if b"previous_message_id" not in r.raw]


def test_the_corpus_covers_three_clients_bare_resumed_sessions_and_tool_search() -> None:
    clients = {r.client.rsplit("-", 1)[0] for r in CORPUS}
    assert {"claude-code", "claude-agent-sdk", "anthropic-python"} <= clients
    assert len(CORPUS) >= 80
    scenarios = {r.scenario for r in CORPUS if r.client.startswith("claude-code")}
    assert {"bare", "bare-resume", "resume", "continue", "tool-search", "tool-search-resume"} <= scenarios
    bare_system = [
        r
        for r in CORPUS
        if r.scenario == "bare" and any(m.get("role") == "system" for m in r.body["messages"])
    ]
    assert bare_system, "Claude Code --bare sends a role: system message inside messages[]"
    assert any(b"tool_reference" in r.raw for r in CORPUS if r.scenario.startswith("tool-search"))
    assert len(REPLAYABLE) >= 70
    assert any(
        t.get("defer_loading") is True
        for r in CORPUS
        for t in r.body.get("tools") or []
        if isinstance(t, dict)
    )


@pytest.mark.parametrize("recorded", ACCEPTED, ids=[r.name for r in ACCEPTED])
def test_no_error_finding_on_either_analysis_path(recorded) -> None:  # type: ignore[no-untyped-def]
    raw = recorded.raw
    clear_caches()
    fast = analyze(raw, betas=recorded.betas)
    clear_caches()
    with full_path_only():
        full = analyze(raw, betas=recorded.betas)
    assert fast.as_dict() == full.as_dict()
    errors = [f.as_dict() for f in full.findings if f.severity == "error"]
    assert errors == [], f"{recorded.name} ({recorded.user_agent}) was sent by a shipping client"
    assert full.predicted == "ok" or full.predicted.startswith("warn"), full.predicted


def test_system_messages_are_placed_as_the_rules_allow_and_raise_no_finding() -> None:
    """Claude Code (and the CLI claude-agent-sdk bundles) sends a role: system message inside messages[]
    on every request: after a user message, followed by an assistant message or last, text only (a string
    or text blocks; an empty list under --bare), with a per-message output_config. No rule may fire on it."""
    seen = 0
    for recorded in CORPUS:
        messages = recorded.body["messages"]
        for i, message in enumerate(messages):
            if message.get("role") != "system":
                continue
            seen += 1
            assert i > 0 and messages[i - 1]["role"] == "user", recorded.name
            assert i + 1 == len(messages) or messages[i + 1]["role"] == "assistant", recorded.name
            content = message["content"]
            assert isinstance(content, str) or all(b.get("type") == "text" for b in content), recorded.name
            assert set(message) <= {"role", "content", "output_config"}, recorded.name
        clear_caches()
        rules = {f.rule for f in analyze(recorded.raw, betas=recorded.betas).findings}
        assert not rules & {"role_invalid", "message_content_empty", "text_block_empty"}, recorded.name
    assert seen >= 40


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    # the default signing key: the one that issued every thinking signature in the corpus
    with MockServer(MockConfig()) as server:
        yield server


@pytest.mark.parametrize("recorded", REPLAYABLE, ids=[r.name for r in REPLAYABLE])
def test_the_mock_accepts_every_body(mock: MockServer, recorded) -> None:  # type: ignore[no-untyped-def]
    headers = {"content-type": "application/json", "x-api-key": "test", "anthropic-version": "2023-06-01"}
    if recorded.betas:
        headers["anthropic-beta"] = ",".join(recorded.betas)
    response = httpx.post(f"{mock.base_url}/v1/messages", content=recorded.raw, headers=headers, timeout=30)
    assert response.status_code == 200, f"{recorded.name}: {response.text[:400]}"
