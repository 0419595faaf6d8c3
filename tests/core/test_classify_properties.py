"""Property tests: classify_error never raises and always answers from the fixed sets."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claude_otel.core import CATEGORIES, Classification, classify_error

FAMILIES = {"1xx", "2xx", "3xx", "4xx", "5xx", "none"}
statuses = st.none() | st.integers(min_value=-1000, max_value=100_000)

# fragments of real texts, so that generated inputs reach the envelope and pattern code paths
fragments = st.sampled_from(
    [
        "messages.3: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_01",
        "unexpected `tool_use_id` found in `web_search_tool_result` blocks",
        "Extra inputs are not permitted",
        "API Error: 400 ",
        "Error code: 529 - ",
        "litellm.BadRequestError: AnthropicException - b'",
        "event: error\ndata: ",
        '{"type":"error","error":{"type":"',
        "ValidationException: The model returned the following errors: ",
        "req_011CSURy8kJA4QAXZjsnBj5N",
        "\\u0060",
        "\\\"",
        "{'type': 'error', 'error': {'type': 'overloaded_error'",
        "{", "}", "'", '"', "\n", "\\",
    ]
)  # fmt: skip
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


def _check(result: Classification, status: int | None) -> None:
    assert isinstance(result, Classification)
    assert result.category in CATEGORIES
    assert result.family in FAMILIES
    assert result.status is None or 100 <= result.status <= 599
    if status is not None and 100 <= status <= 599:
        assert result.status == status
        if not 200 <= status < 300:
            assert result.family == f"{status // 100}xx"
    assert result.message is None or len(result.message) <= 2000


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000), statuses)
def test_arbitrary_bytes_never_raise(body: bytes, status: int | None) -> None:
    _check(classify_error(body, status), status)


@settings(max_examples=300, deadline=None)
@given(st.lists(fragments | st.text(max_size=40), max_size=12).map("".join), statuses)
def test_text_near_real_envelopes_never_raises(text: str, status: int | None) -> None:
    _check(classify_error(text, status), status)
    _check(classify_error(text.encode("utf-8", "surrogatepass"), status), status)


@settings(max_examples=300, deadline=None)
@given(json_values, statuses)
def test_arbitrary_json_never_raises(value: object, status: int | None) -> None:
    for wrapped in (
        value,
        {"error": value},
        {"type": "error", "error": value},
        {"error": {"metadata": {"raw": value}}},
    ):
        _check(classify_error(json.dumps(wrapped), status), status)


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=0, max_value=12))
def test_deeply_nested_envelopes_never_raise(depth: int) -> None:
    text = json.dumps(
        {
            "type": "error",
            "error": {"type": "invalid_request_error", "message": "tool_use ids must be unique"},
        }
    )
    for _ in range(depth):
        text = json.dumps({"error": {"code": 400, "message": text}})
    result = classify_error(text)
    _check(result, None)
    if depth <= 4:  # unwrapped through every level up to the documented depth
        assert result.category == "tool_use_id_duplicate"
