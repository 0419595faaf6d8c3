"""Property tests: arbitrary JSON, bytes and request-like bodies never make the core raise."""

from __future__ import annotations

import json

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claude_otel.core import RULES, analyze, normalize_model, skeleton
from claude_otel.core.models import MODEL_LABELS
from claude_otel.core.walk import KNOWN_BLOCK_TYPES

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=40,
)
ids = st.sampled_from(["toolu_01A", "toolu_01B", "srvtoolu_01A", "", "bad id", "call-1"]) | st.text(
    max_size=8
)
block_keys = st.sampled_from(
    [
        "type",
        "text",
        "id",
        "name",
        "input",
        "tool_use_id",
        "content",
        "is_error",
        "thinking",
        "signature",
        "data",
        "source",
        "cache_control",
        "caller",
        "tool_name",
        "index",
        "citations",
    ]
)
block_types = st.sampled_from(sorted(KNOWN_BLOCK_TYPES)) | st.text(max_size=6) | st.none()


@st.composite
def blocks(draw: st.DrawFn, depth: int = 0) -> object:
    if draw(st.integers(0, 9)) == 0:
        return draw(json_values)
    b: dict = {"type": draw(block_types)}
    for key in draw(st.lists(block_keys, max_size=6)):
        if key in ("id", "tool_use_id"):
            b[key] = draw(ids)
        elif key == "content" and depth < 2:
            b[key] = draw(st.text(max_size=5) | st.lists(blocks(depth + 1), max_size=3) | json_values)
        elif key == "cache_control":
            b[key] = {"type": "ephemeral"}
        elif key == "source":
            b[key] = {"type": "base64", "media_type": "image/png", "data": draw(st.text(max_size=10))}
        else:
            b[key] = draw(json_values)
    return b


messages = st.lists(
    st.fixed_dictionaries(
        {
            "role": st.sampled_from(["user", "assistant", "system", "tool"]) | json_values,
            "content": st.text(max_size=5) | st.lists(blocks(), max_size=6) | json_values,
        }
    )
    | json_values,
    max_size=8,
)
request_bodies = st.fixed_dictionaries(
    {"messages": messages},
    optional={
        "model": st.sampled_from(["claude-opus-4-6", "claude-sonnet-4-5", "claude-opus-4-7", "x"])
        | json_values,
        "max_tokens": st.integers(-5, 200_000) | json_values,
        "tools": st.lists(
            st.fixed_dictionaries(
                {"name": st.text(max_size=8)},
                optional={
                    "input_schema": json_values,
                    "defer_loading": st.booleans(),
                    "type": st.text(max_size=8),
                    "strict": st.booleans(),
                    "cache_control": json_values,
                },
            )
            | json_values,
            max_size=4,
        )
        | json_values,
        "thinking": st.fixed_dictionaries(
            {"type": st.sampled_from(["enabled", "adaptive", "disabled", "other"])},
            optional={"budget_tokens": st.integers(-10, 100_000) | json_values},
        )
        | json_values,
        "tool_choice": json_values,
        "thread": json_values,
        "container": json_values,
        "system": json_values,
        "temperature": json_values,
        "cache_control": json_values,
    },
)


def _check(a: object) -> None:
    assert a.predicted in ("error", "warning", "ok", "unparsed", "skipped")
    assert a.parse_error is None or not a.parse_error.startswith("internal"), a.parse_error
    assert a.ok == (not any(f.severity == "error" for f in a.findings))
    for f in a.findings:
        assert f.rule in RULES and f.severity in ("error", "warning") and "\n" not in f.message
    json.dumps(a.shape.as_dict())


@SETTINGS
@given(json_values)
def test_arbitrary_json_never_raises(value: object) -> None:
    raw = orjson.dumps(value)
    _check(analyze(raw))
    sk = skeleton(raw)
    assert "error" not in sk
    json.dumps(sk)
    if isinstance(value, dict):
        _check(analyze(value))


@SETTINGS
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    a = analyze(data)
    _check(a)
    json.dumps(skeleton(data))


@SETTINGS
@given(st.text(max_size=200))
def test_arbitrary_text_never_raises(text: str) -> None:
    _check(analyze(text))
    json.dumps(skeleton(text))


@SETTINGS
@given(request_bodies, st.sampled_from(["anthropic", "bedrock", "vertex"]))
def test_request_like_bodies_never_raise(body: dict, provider: str) -> None:
    raw = orjson.dumps(body)
    a = analyze(raw, provider=provider)
    _check(a)
    assert a.parse_error is None
    sk = skeleton(raw)
    assert "error" not in sk
    json.dumps(sk)
    # block counts use bounded keys only
    assert set(a.shape.block_counts) <= KNOWN_BLOCK_TYPES | {"other"}


@SETTINGS
@given(json_values)
def test_model_label_is_bounded(value: object) -> None:
    assert normalize_model(value if isinstance(value, str) else None) in MODEL_LABELS
