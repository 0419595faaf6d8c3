"""Request-shape checks, written from the shape-rules reference (never from claude_otel.core).

``validate(body, ...)`` raises :class:`ShapeError` with the real API's text for the first violation,
in roughly the order the API checks: body fields, tools and tool_choice, thinking config, blocks,
placement, pairing, thinking history, the final message, containers, tool references, cache_control.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from . import check_history as H
from . import check_request as Q
from .errors import ApiError
from .ledger import ThinkingLedger
from .transcript import Transcript, build


def validate(
    body: Mapping[str, Any], ledger: ThinkingLedger, betas: Sequence[str] = (), *, count_tokens: bool = False
) -> Transcript:
    """Raise ApiError/ShapeError for the first violation; return the merged transcript otherwise.

    ``count_tokens``: the body of /v1/messages/count_tokens (no max_tokens; the same shape rules).
    """
    if not isinstance(body, Mapping):
        raise ApiError(400, "Input should be a valid dictionary", "invalid_request_other")
    Q.require_fields(body, ("model", "messages") if count_tokens else ("model", "max_tokens", "messages"))
    messages: list[Mapping[str, Any]] = body["messages"]
    if not messages:
        raise ApiError(400, "messages: at least one message is required", "invalid_request_other")
    Q.check_tools(body)
    Q.check_tool_choice(body)
    Q.check_thinking_config(body, betas)
    Q.check_messages_content(body, messages)
    transcript = build(messages)
    H.check_placement(transcript)
    H.check_tools_defined(body, transcript)
    H.check_pairing(transcript)
    H.check_server_tools(transcript)
    H.check_thinking_history(body, transcript, ledger)
    H.check_final(body, transcript)
    H.check_container(body, transcript)
    H.check_tool_references(body, transcript)
    Q.check_cache_control(body)
    return transcript
