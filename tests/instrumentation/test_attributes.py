"""The shape attributes put on each attempt's span: which fields, which values, from a Shape or its dict."""

from __future__ import annotations

from claude_otel.core.types import Shape
from claude_otel.instrumentation.attributes import SHAPE_FIELDS, SHAPE_PREFIX, shape_attributes


def test_scalars_only_long_strings_and_unset_fields_left_out() -> None:
    shape = Shape(
        body_bytes=10,
        tool_use_count=3,
        tool_result_count=2,
        container=True,
        tool_choice="auto",
        thread="t" * 65,  # longer than 64: not an attribute
        last_role="user",
        pending_tool_use_count=1,
        messages_by_role={"user": 2},  # not a scalar field: never exported
    )
    attrs = shape_attributes(shape)
    assert attrs[SHAPE_PREFIX + "tool_use_count"] == 3
    assert attrs[SHAPE_PREFIX + "container"] is True
    assert attrs[SHAPE_PREFIX + "results_split"] is False
    assert attrs[SHAPE_PREFIX + "tool_choice"] == "auto"
    assert attrs[SHAPE_PREFIX + "last_role"] == "user"
    assert SHAPE_PREFIX + "thread" not in attrs
    assert SHAPE_PREFIX + "thinking" not in attrs  # None
    assert set(attrs) <= {SHAPE_PREFIX + name for name in SHAPE_FIELDS}
    # the Shape read by attribute and its as_dict() give the same attributes
    assert shape_attributes(shape.as_dict()) == attrs
    out = {"other": 1}
    assert shape_attributes(shape, out) is out and out["other"] == 1 and len(out) == len(attrs) + 1
