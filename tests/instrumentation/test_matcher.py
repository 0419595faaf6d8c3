"""Which URLs are analysed: first party, Bedrock, Vertex, configured base URLs; everything else untouched."""

from __future__ import annotations

import pytest

from claude_otel.instrumentation.matcher import Matcher


@pytest.mark.parametrize(
    ("method", "host", "port", "path", "expected"),
    [
        ("POST", "api.anthropic.com", None, "/v1/messages", ("messages", "anthropic")),
        ("POST", "api.anthropic.com", None, "/v1/messages/count_tokens", ("count_tokens", "anthropic")),
        ("GET", "api.anthropic.com", None, "/v1/messages", None),
        ("POST", "api.anthropic.com", None, "/v1/models", None),
        ("POST", "api.anthropic.com", None, "/v1/messages/batches", None),
        ("POST", "example.com", None, "/v1/messages", None),
        (
            "POST",
            "bedrock-runtime.us-east-1.amazonaws.com",
            None,
            "/model/anthropic.claude-x/invoke",
            ("messages", "bedrock"),
        ),
        (
            "POST",
            "bedrock-runtime.eu-west-1.amazonaws.com",
            None,
            "/model/arn%3Aaws/invoke-with-response-stream",
            ("messages", "bedrock"),
        ),
        (
            "POST",
            "us-east5-aiplatform.googleapis.com",
            None,
            "/v1/projects/p/locations/us-east5/publishers/anthropic/models/claude-x:streamRawPredict",
            ("messages", "vertex"),
        ),
        (
            "POST",
            "aiplatform.googleapis.com",
            None,
            "/v1/projects/p/locations/global/publishers/anthropic/models/count-tokens:rawPredict",
            ("count_tokens", "vertex"),
        ),
        (
            "POST",
            "us-east5-aiplatform.googleapis.com",
            None,
            "/v1/projects/p/locations/l/publishers/google/models/g:rawPredict",
            None,
        ),
        ("POST", "gateway.internal", 8080, "/anthropic/v1/messages", ("messages", "anthropic")),
        ("POST", "gateway.internal", 8080, "/v1/messages", None),
        ("POST", "127.0.0.1", 9, "/v1/messages", ("messages", "anthropic")),
    ],
)
def test_match(method: str, host: str, port: int | None, path: str, expected: tuple | None) -> None:
    m = Matcher(("http://gateway.internal:8080/anthropic/", "http://127.0.0.1:9"))
    got = m.match(method.encode(), host, port, path)
    assert (None if got is None else (got.endpoint, got.provider)) == expected


def test_provider_override() -> None:
    got = Matcher(("http://proxy:1",), provider="bedrock").match(b"POST", "proxy", 1, "/v1/messages")
    assert got is not None and got.provider == "bedrock"
