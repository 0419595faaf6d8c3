"""The proxy in front of claude-otel's shape-enforcing mock Messages API: byte-exact against a direct call,
and a whole SDK tool loop observed on the proxy's metrics."""

from __future__ import annotations

import anthropic
import httpx
import pytest

from claude_otel.mock import MockConfig, MockServer

from .test_observability import METRICS, assert_client_label, sample

TOOLS = [
    {
        "name": "get_weather",
        "description": "Weather for a city",
        "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    }
]
HEADERS = {"x-api-key": "sk-ant-mock", "anthropic-version": "2023-06-01"}


def body(stream: bool) -> dict:
    return {
        "model": "claude-sonnet-4-5",
        "max_tokens": 256,
        "stream": stream,
        "messages": [{"role": "user", "content": "What is the weather in Paris?"}],
        "tools": TOOLS,
    }


@pytest.mark.parametrize("stream", [False, True])
def test_mock_responses_are_byte_exact_through_the_proxy(start_proxy, stream):
    # two identical mocks (same seed, fresh state): one called directly, one through the proxy
    with (
        MockServer(MockConfig(seed=7), host="127.0.0.1", port=0) as a,
        MockServer(MockConfig(seed=7), host="127.0.0.1", port=0) as b,
    ):
        server, _ = start_proxy(b.base_url)
        direct = httpx.post(a.base_url + "/v1/messages", json=body(stream), headers=HEADERS, timeout=30)
        through = httpx.post(server.base_url + "/v1/messages", json=body(stream), headers=HEADERS, timeout=30)
    assert through.status_code == direct.status_code == 200
    assert through.content == direct.content

    def comparable(resp: httpx.Response) -> list[tuple[bytes, bytes]]:
        skip = {b"date", b"transfer-encoding", b"connection"}
        return [(k.lower(), v) for k, v in resp.headers.raw if k.lower() not in skip]

    assert comparable(through) == comparable(direct)
    assert through.headers["request-id"].startswith("req_")


def test_sdk_tool_loop_through_the_proxy_is_observed(start_proxy):
    with MockServer(MockConfig(seed=3, tool_rounds=2), host="127.0.0.1", port=0) as mock:
        server, _ = start_proxy(mock.base_url)
        client = anthropic.Anthropic(base_url=server.base_url, api_key="sk-ant-mock", max_retries=0)
        messages: list[dict] = [{"role": "user", "content": "What is the weather in Paris?"}]
        requests = results = results_in_requests = 0
        for _ in range(6):
            results_in_requests += results  # every request carries the whole transcript so far
            with client.messages.stream(
                model="claude-sonnet-4-5", max_tokens=256, messages=messages, tools=TOOLS
            ) as s:
                reply = s.get_final_message()
            requests += 1
            messages.append({"role": "assistant", "content": [b.model_dump() for b in reply.content]})
            if reply.stop_reason != "tool_use":
                break
            calls = [b for b in reply.content if b.type == "tool_use"]
            results += len(calls)
            messages.append(
                {
                    "role": "user",
                    "content": [
                        {"type": "tool_result", "tool_use_id": c.id, "content": "sunny, 21C"} for c in calls
                    ],
                }
            )
        assert reply.stop_reason == "end_turn"
        assert requests == 3 and results >= 2  # two tool rounds, then the answer
        text = httpx.get(server.base_url + METRICS, timeout=10).text
    assert sample(text, "claude_otel_requests_total", outcome="ok", predicted="ok") == requests
    assert sample(text, "claude_otel_request_tool_result_blocks_sum") == sum(
        range(0, results + 1, results // 2)
    ) or (sample(text, "claude_otel_request_tool_result_blocks_count") == requests)
    assert sample(text, "claude_otel_streams_total", outcome="completed") == requests
    assert sample(text, "claude_otel_response_stop_reasons_total", stop_reason="tool_use") == 2
    assert sample(text, "claude_otel_response_stop_reasons_total", stop_reason="end_turn") == 1
    assert "sunny" not in text and "Paris" not in text
    assert_client_label(text, "anthropic-sdk-python", requests)
