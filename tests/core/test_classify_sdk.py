"""The classifier on what the real anthropic SDK surfaces, over real HTTP on 127.0.0.1 (the mock server).

The errors an application logs are `str(exc)` of the SDK's exceptions ("Error code: 400 - {...}", a
Python dict repr) or the raw response body; both must classify to the same category as the rule.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import anthropic
import httpx
import pytest

from claude_otel.core import classify_error
from claude_otel.mock import MockConfig, MockServer

MODEL = "claude-sonnet-4-6"
WEATHER = {
    "name": "get_weather",
    "description": "Weather for a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}
UNANSWERED = [
    {"role": "user", "content": "Weather in Paris?"},
    {
        "role": "assistant",
        "content": [
            {"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9", "name": "get_weather", "input": {}}
        ],
    },
    {"role": "user", "content": "never mind"},
]
OK = [{"role": "user", "content": "Weather in Paris?"}]


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer(MockConfig(seed=3)) as running:
        yield running


@pytest.fixture
def client(server: MockServer) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(base_url=server.base_url, api_key="test-key", max_retries=0) as c:
        yield c


def test_sdk_bad_request_string_and_body(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.BadRequestError) as info:
        client.messages.create(model=MODEL, max_tokens=256, tools=[WEATHER], messages=UNANSWERED)
    exc = info.value
    from_string = classify_error(str(exc))
    assert (from_string.category, from_string.status, from_string.family) == (
        "tool_result_missing",
        400,
        "4xx",
    )
    assert from_string.error_type == "invalid_request_error"
    from_body = classify_error(exc.response.content, exc.status_code)
    assert from_body.category == "tool_result_missing"
    assert from_body.request_id == exc.request_id
    assert from_body.message is not None and "toolu_01A09q90qw90lq917835lq9" in from_body.message


@pytest.mark.parametrize(
    ("fault", "exc_type", "status", "category"),
    [
        ("rate_limit", anthropic.RateLimitError, 429, "rate_limit"),
        ("overloaded", anthropic.APIStatusError, 529, "overloaded"),
    ],
)
def test_sdk_non_400_faults(
    client: anthropic.Anthropic, fault: str, exc_type: type, status: int, category: str
) -> None:
    with pytest.raises(exc_type) as info:
        client.messages.create(model=MODEL, max_tokens=64, messages=OK, extra_headers={"x-mock-fault": fault})
    exc = info.value
    assert exc.status_code == status
    for result in (classify_error(str(exc)), classify_error(exc.response.content, exc.status_code)):
        assert (result.category, result.status, result.family) == (category, status, f"{status // 100}xx")


def test_mid_stream_error_event_over_http(server: MockServer) -> None:
    body = {"model": MODEL, "max_tokens": 64, "stream": True, "messages": OK}
    headers = {"x-api-key": "test-key", "anthropic-version": "2023-06-01", "x-mock-fault": "stream_error"}
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        response = http.post("/v1/messages", json=body, headers=headers)
    assert response.status_code == 200
    raw = response.text
    assert "event: error" in raw
    event = raw[raw.index("event: error") :]
    result = classify_error(event)
    assert result.family == "2xx"
    assert result.category in ("overloaded", "server_error", "rate_limit")
    assert result.error_type is not None
    # the same payload, with the status the instrumentation passes for an event inside a 200 stream
    assert classify_error(event, 200).category == result.category


def test_sdk_connection_error() -> None:
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with (
        anthropic.Anthropic(base_url=f"http://127.0.0.1:{port}", api_key="k", max_retries=0) as c,
        pytest.raises(anthropic.APIConnectionError) as info,
    ):
        c.messages.create(model=MODEL, max_tokens=8, messages=OK)
    result = classify_error(str(info.value))
    assert (result.category, result.family, result.status) == ("connection", "none", None)


# What the API answers for each status an application meets, as (error.type, error.message, category).
API_ERRORS = {
    400: (
        "invalid_request_error",
        (
            "messages.2: `tool_use` ids were found without `tool_result` blocks immediately after: "
            "toolu_01A09q90qw90lq917835lq9. Each `tool_use` block must have a corresponding "
            "`tool_result` block in the next message."
        ),
        "tool_result_missing",
    ),
    401: ("authentication_error", "invalid x-api-key", "authentication"),
    403: (
        "permission_error",
        "Your API key does not have permission to use the specified resource.",
        "permission",
    ),
    404: ("not_found_error", "model: claude-nope", "not_found"),
    413: ("request_too_large", "Request exceeds the maximum allowed number of bytes.", "request_too_large"),
    429: (
        "rate_limit_error",
        "This request would exceed the rate limit for your organization.",
        "rate_limit",
    ),
    500: ("api_error", "Internal server error", "server_error"),
    529: ("overloaded_error", "Overloaded", "overloaded"),
}


class _ErrorServer:
    """A real HTTP server on 127.0.0.1 answering every POST with the API error of the status in the path."""

    def __enter__(self) -> str:
        import json
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                status = int(self.path.strip("/").split("/")[0])
                etype, message, _ = API_ERRORS[status]
                body = json.dumps(
                    {
                        "type": "error",
                        "error": {"type": etype, "message": message},
                        "request_id": "req_011CTest0123456",
                    }
                ).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("request-id", "req_011CTest0123456")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.mark.parametrize("status", sorted(API_ERRORS))
def test_str_of_every_sdk_status_error_classifies(status: int) -> None:
    """str(exc) of the installed SDK's exception for each status (anthropic >= 2.17: "429 <message>
    (request_id: ..., path: ..., type: ...)"), and the same error in the older "Error code: N - {...}"
    form."""
    etype, message, category = API_ERRORS[status]
    with (
        _ErrorServer() as base,
        anthropic.Anthropic(base_url=f"{base}/{status}", api_key="k", max_retries=0) as c,
        pytest.raises(anthropic.APIStatusError) as info,
    ):
        c.messages.create(model=MODEL, max_tokens=8, messages=OK)
    text = str(info.value)
    old = f"Error code: {status} - " + repr(
        {"type": "error", "error": {"type": etype, "message": message}, "request_id": "req_011CTest0123456"}
    )
    for shown in (text, old, f"{type(info.value).__module__}.{type(info.value).__name__}: {text}"):
        result = classify_error(shown)
        assert (result.status, result.family, result.category, result.error_type) == (
            status,
            f"{status // 100}xx",
            category,
            etype,
        ), shown
        assert result.request_id == "req_011CTest0123456", shown
        assert result.message is not None and message.split(":")[0].replace("`", "") in result.message


def test_claude_code_display_line_classifies() -> None:
    result = classify_error(
        "API Error: 400 due to tool use concurrency issues. Run /rewind to recover the conversation."
    )
    assert (result.status, result.family, result.category) == (400, "4xx", "tool_result_missing")
