"""Fault injection as a client sees it (429 with retry-after, 529, mid-stream error event, slow first
byte), configuration errors, and the command line."""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys

import anthropic
import httpx
import pytest
from mockutil import LOOKALIKES, load, post

from claude_otel.mock import MockConfig, MockServer

MODEL = "claude-opus-4-8"
HELLO = [{"role": "user", "content": "Hello"}]


def client_for(server: MockServer, **kw: object) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=server.base_url, api_key="test", **{"max_retries": 0, **kw})


def test_forced_rate_limit_carries_retry_after(server: MockServer) -> None:
    response = post(
        server, {"model": MODEL, "max_tokens": 64, "messages": HELLO}, **{"x-mock-fault": "rate_limit"}
    )
    assert response.status_code == 429
    assert response.headers["retry-after"] == "1"
    assert response.json()["error"]["type"] == "rate_limit_error"
    with pytest.raises(anthropic.RateLimitError):
        client_for(server).messages.create(
            model=MODEL, max_tokens=64, messages=HELLO, extra_headers={"x-mock-fault": "rate_limit"}
        )


def _second(seed: int) -> float:
    generator = random.Random(seed)
    generator.random()
    return generator.random()


def test_sdk_retries_through_a_configured_rate_limit() -> None:
    seed = next(s for s in range(1000) if random.Random(s).random() < 0.5 <= _second(s))
    config = MockConfig(seed=seed, rate_limit_rate=0.5, retry_after_seconds=0)
    with MockServer(config) as server:
        message = client_for(server, max_retries=2).messages.create(
            model=MODEL, max_tokens=64, messages=HELLO
        )
        assert message.stop_reason == "end_turn"
        assert server.stats["error:rate_limit"] == 1
        assert server.stats["requests"] == 2


@pytest.mark.parametrize("fresh_server", [MockConfig(overloaded_rate=1.0)], indirect=True)
def test_overloaded_is_529(fresh_server: MockServer) -> None:
    with pytest.raises(anthropic.OverloadedError) as caught:
        client_for(fresh_server).messages.create(model=MODEL, max_tokens=64, messages=HELLO)
    assert caught.value.status_code == 529
    assert caught.value.body["error"] == {"type": "overloaded_error", "message": "Overloaded"}


@pytest.mark.parametrize("fresh_server", [MockConfig(stream_error_rate=1.0)], indirect=True)
def test_mid_stream_error_event(fresh_server: MockServer) -> None:
    seen: list[str] = []
    with pytest.raises(anthropic.APIStatusError) as caught:  # noqa: SIM117
        with client_for(fresh_server).messages.stream(model=MODEL, max_tokens=64, messages=HELLO) as stream:
            seen.extend(event.type for event in stream)
    assert "Overloaded" in str(caught.value)
    with httpx.stream(
        "POST",
        fresh_server.base_url + "/v1/messages",
        json={"model": MODEL, "max_tokens": 64, "messages": HELLO, "stream": True},
        timeout=30,
    ) as response:
        assert response.status_code == 200, "the error arrives after the 200 status"
        text = response.read().decode()
    assert text.startswith("event: message_start")
    assert "event: error" in text and "event: message_stop" not in text


def test_stream_error_fault_leaves_json_responses_alone(server: MockServer) -> None:
    body = {"model": MODEL, "max_tokens": 64, "messages": HELLO}
    assert post(server, body, **{"x-mock-fault": "stream_error"}).status_code == 200


@pytest.mark.parametrize("fresh_server", [MockConfig(slow_first_byte_seconds=3.0)], indirect=True)
def test_slow_first_byte_trips_a_short_client_timeout(fresh_server: MockServer) -> None:
    with pytest.raises(anthropic.APITimeoutError):
        client_for(fresh_server, timeout=0.5).messages.create(model=MODEL, max_tokens=64, messages=HELLO)
    message = client_for(fresh_server, timeout=60).messages.create(model=MODEL, max_tokens=64, messages=HELLO)
    assert message.stop_reason == "end_turn"


def test_unknown_forced_fault_is_a_clear_400(server: MockServer) -> None:
    response = post(server, {"model": MODEL, "max_tokens": 64, "messages": HELLO}, **{"x-mock-fault": "boom"})
    assert response.status_code == 400
    assert "x-mock-fault must be one of" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"rate_limit_rate": 1.5},
        {"overloaded_rate": -0.1},
        {"tool_rounds": -1},
        {"slow_first_byte_seconds": -1},
    ],
)
def test_bad_config_is_rejected(kwargs: dict) -> None:
    with pytest.raises(ValueError, match="MockConfig"):
        MockConfig(**kwargs)


def test_enforcement_can_be_switched_off() -> None:
    with MockServer(MockConfig(enforce=False)) as server:
        body = load(LOOKALIKES.parent.parent / "fixtures" / "violations" / "tool_result_missing.json")
        assert post(server, body).status_code == 200


@pytest.mark.parametrize(
    "entry", [["claude_otel.cli", "mock-server"], ["claude_otel.mock"]], ids=["claude-otel", "-m"]
)
def test_command_line_serves_until_interrupted(entry: list[str]) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", *entry, "--port", "0", "--overloaded-rate", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        line = process.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        assert match, line
        response = httpx.post(
            f"http://127.0.0.1:{match.group(1)}/v1/messages",
            json={"model": MODEL, "max_tokens": 64, "messages": HELLO},
            timeout=30,
        )
        assert response.status_code == 529, "the fault flag reached the server"
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0


def test_command_line_rejects_bad_flags() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "claude_otel.mock", "--rate-limit-rate", "2"], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "must be between 0 and 1" in result.stderr


def test_command_line_scripts_tool_calls() -> None:
    fixed = '{"file_path": "/tmp/example.txt"}'
    process = subprocess.Popen(
        [sys.executable, "-m", "claude_otel.mock", "--port", "0", "--prefer-tool", "Read",
         "--tool-input", f"Read={fixed}", "--tool-rounds", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    try:
        port = re.search(r"http://127\.0\.0\.1:(\d+)", process.stdout.readline()).group(1)
        schema = {
            "type": "object",
            "properties": {"file_path": {"type": "string"}},
            "required": ["file_path"],
        }
        tools = [{"name": n, "description": n, "input_schema": schema} for n in ("Bash", "Read", "Write")]
        body = {"model": MODEL, "max_tokens": 64, "tools": tools, "messages": HELLO}
        reply = httpx.post(f"http://127.0.0.1:{port}/v1/messages", json=body, timeout=30).json()
        calls = [b for b in reply["content"] if b["type"] == "tool_use"]
        assert [(c["name"], c["input"]) for c in calls] == [("Read", {"file_path": "/tmp/example.txt"})]
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0


@pytest.mark.parametrize("flag", ["Read", "Read=[1]", "Read={bad json"])
def test_command_line_rejects_bad_tool_inputs(flag: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "claude_otel.mock", "--tool-input", flag], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "--tool-input" in result.stderr


def test_port_in_use_is_a_clear_error(server: MockServer) -> None:
    with pytest.raises(OSError, match=f"cannot listen on 127.0.0.1:{server.port}"):
        MockServer(port=server.port)
