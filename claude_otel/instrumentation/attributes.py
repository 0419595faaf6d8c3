"""Span / log attribute names: GenAI semconv names where they exist, the rest under ``claude_otel.``."""

from __future__ import annotations

from collections.abc import Mapping
from operator import attrgetter
from typing import Any

# GenAI semantic conventions (development status; defined here as plain strings on purpose)
GEN_AI_PROVIDER = "gen_ai.provider.name"
GEN_AI_OPERATION = "gen_ai.operation.name"
GEN_AI_MODEL = "gen_ai.request.model"
GEN_AI_STREAM = "gen_ai.request.stream"
GEN_AI_MAX_TOKENS = "gen_ai.request.max_tokens"
GEN_AI_RESPONSE_ID = "gen_ai.response.id"
GEN_AI_FINISH_REASONS = "gen_ai.response.finish_reasons"
ERROR_TYPE = "error.type"

# our namespace
NS = "claude_otel."
ENDPOINT = NS + "endpoint"
CLIENT = NS + "client"
MODEL_LABEL = NS + "model"
PREDICTED = NS + "predicted"
PREDICTION = NS + "prediction"
RULES = NS + "rules"
FINDING_COUNT = NS + "finding_count"
RETRY_ATTEMPT = NS + "retry_attempt"
REQUEST_ID = NS + "request_id"
OUTCOME = NS + "outcome"
ERROR_CATEGORY = NS + "error.category"
GUARD_BLOCKED = NS + "guard.blocked"
STREAM_OUTCOME = NS + "stream.outcome"
STOP_REASON = NS + "response.stop_reason"
RESPONSE_KIND = NS + "response.kind"
RESPONSE_BYTES = NS + "response.body_bytes"
RESPONSE_TOOL_USE_COUNT = NS + "response.tool_use_count"
RESPONSE_CONTAINER = NS + "response.container"

FINDING_EVENT = NS + "finding"
RESPONSE_EVENT = NS + "response"
RULE = NS + "finding.rule"
SEVERITY = NS + "finding.severity"
PATH = NS + "finding.path"
MESSAGE = NS + "finding.message"

SHAPE_PREFIX = NS + "request."

# Shape fields exported as span attributes (scalars only; never content).
SHAPE_FIELDS: tuple[str, ...] = (
    "body_bytes",
    "message_count",
    "tool_use_count",
    "tool_result_count",
    "server_tool_use_count",
    "server_tool_result_count",
    "thinking_block_count",
    "tool_reference_count",
    "image_count",
    "document_count",
    "tools_declared",
    "tools_deferred",
    "tool_choice",
    "thinking",
    "container",
    "thread",
    "cache_control_count",
    "last_role",
    "text_before_tool_result",
    "results_split",
    "trailing_server_tool_use",
    "pending_tool_use_count",
)


_SHAPE_KEYS: tuple[str, ...] = tuple(SHAPE_PREFIX + name for name in SHAPE_FIELDS)
_read_shape = attrgetter(*SHAPE_FIELDS)  # every field in one C call (a Shape has them all)


def shape_attributes(shape: Mapping[str, Any] | Any, out: dict[str, Any] | None = None) -> dict[str, Any]:
    """``claude_otel.request.<field>`` for each known scalar shape field present.

    ``shape``: a mapping (``Shape.as_dict()``) or the ``Shape`` itself (read by attribute, no copy).
    Adds to ``out`` when given.
    """
    out = {} if out is None else out
    values = tuple(map(shape.get, SHAPE_FIELDS)) if isinstance(shape, Mapping) else _read_shape(shape)
    for key, value in zip(_SHAPE_KEYS, values, strict=True):
        if isinstance(value, int) or (isinstance(value, str) and len(value) <= 64):  # int: bool included
            out[key] = value
    return out
