"""Repair of the fixable tool_result shapes: ``repair_messages`` (pure, messages in, repaired messages and
edits out), ``repair_request`` (one body in flight, rewritten only when that turns a predicted error into a
predicted ok). Used by ``claude-otel doctor --fix`` and by the opt-in repair of the hooks and the proxy."""

from __future__ import annotations

from .messages import FIXABLE_RULES, LOST_RESULT_TEXT, Edit, lost_result, repair_messages
from .request import RequestRepair, repair_request

__all__ = [
    "FIXABLE_RULES",
    "LOST_RESULT_TEXT",
    "Edit",
    "RequestRepair",
    "lost_result",
    "repair_messages",
    "repair_request",
]
