"""Claude Code --bare (2.1.330, 2.1.332) sends, on the first request of every session, an empty system
message with an `output_config` as messages[1]. A request that a shipping client sends to every user is
evidence that the API accepts it: no error finding in the core (either analysis path), and the mock
answers 200 through the real SDK."""

from __future__ import annotations

from collections.abc import Iterator

import anthropic
import orjson
import pytest
from analysis_paths import fast_path as analysis_path

from claude_otel.core import analyze, clear_caches
from claude_otel.mock import MockConfig, MockServer

BARE_FIRST_REQUEST = {
    "model": "claude-sonnet-4-6",
    "max_tokens": 4096,
    "system": [{"type": "text", "text": "You are Claude Code, Anthropic's official CLI for Claude."}],
    "messages": [
        {"role": "user", "content": [{"type": "text", "text": "Read note.txt, then write out.txt."}]},
        {"role": "system", "content": [], "output_config": {"effort": "high"}},
    ],
    "stream": False,
}


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer(MockConfig(seed=5)) as running:
        yield running


@pytest.mark.parametrize("content", [[], ""])
@pytest.mark.parametrize("fast_path", [True, False])
def test_empty_system_message_is_no_error(content: object, fast_path: bool) -> None:
    body = {
        **BARE_FIRST_REQUEST,
        "messages": [BARE_FIRST_REQUEST["messages"][0], {"role": "system", "content": content}],
    }
    clear_caches()
    with analysis_path(fast_path):
        result = analyze(orjson.dumps(body))
    assert [f.rule for f in result.findings if f.severity == "error"] == []
    assert result.predicted == "ok"


def test_empty_user_message_is_still_an_error() -> None:
    body = {**BARE_FIRST_REQUEST, "messages": [{"role": "user", "content": []}]}
    assert "message_content_empty" in {f.rule for f in analyze(orjson.dumps(body)).findings}


def test_mock_accepts_the_bare_first_request_through_the_sdk(server: MockServer) -> None:
    with anthropic.Anthropic(base_url=server.base_url, api_key="test-key", max_retries=0) as client:
        kwargs = {k: v for k, v in BARE_FIRST_REQUEST.items() if k != "stream"}
        message = client.messages.create(**kwargs)  # type: ignore[call-overload]
    assert message.role == "assistant" and message.content
