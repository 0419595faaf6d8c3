"""Server-held conversations (``thread``, beta ``message-threads-2026-08-12``), as the SDK's tool runner uses
them: ``{"type": "create"}`` holds the conversation under the reply's id; ``{"type": "continue",
"previous_message_id": ...}`` sends only the new messages, takes ``system`` and ``tools`` from the thread and
continues each reply at most once. The expanded body is then checked like any other request.

The texts of the thread errors are the mock's own (the reference has none); the ``error.details.error_code``
values are the ones the SDK reacts to.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import ApiError

THREADS_BETA = "message-threads-2026-08-12"
CREATE_ONLY_FIELDS = ("system", "tools")


@dataclass
class _Held:
    messages: list[Any]
    fields: dict[str, Any]
    continued: bool = False


@dataclass
class Expanded:
    body: dict[str, Any]  # the full request the continuation stands for
    previous_message_id: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)


class ThreadStore:
    def __init__(self, max_threads: int = 10_000) -> None:
        self._held: OrderedDict[str, _Held] = OrderedDict()
        self._max = max_threads
        self._lock = threading.Lock()

    def expand(self, body: Mapping[str, Any], betas: Sequence[str]) -> Expanded | None:
        """None when the request has no ``thread``; else the full body it stands for (or an ApiError)."""
        thread = body.get("thread")
        if thread is None:
            return None
        if THREADS_BETA not in betas:
            raise ApiError(400, "thread: Extra inputs are not permitted", "extra_inputs")
        kind = thread.get("type") if isinstance(thread, Mapping) else None
        if kind not in ("create", "continue"):
            raise ApiError(
                400,
                f"thread: Input tag '{kind}' found using 'type' does not match any of the expected tags: "
                "'create', 'continue'",
                "union_tag_invalid",
            )
        request = {k: v for k, v in body.items() if k != "thread"}
        if kind == "create":
            return Expanded(request, None, {f: request[f] for f in CREATE_ONLY_FIELDS if f in request})
        previous = thread.get("previous_message_id")
        repeated = [f for f in CREATE_ONLY_FIELDS if f in request]
        if repeated:
            raise ApiError(
                400,
                f"{repeated[0]}: a thread continuation takes `{repeated[0]}` from the thread; do not send it",
                "thread_field_repeated",
            )
        with self._lock:
            held = self._held.get(previous) if isinstance(previous, str) else None
            if held is None:
                raise ApiError(
                    404, f"thread not found: previous_message_id {previous}", "thread_not_found",
                    details={"error_code": "thread_not_found"},
                )  # fmt: skip
            if held.continued:
                raise ApiError(
                    400, f"thread already continued from {previous}", "thread_already_continued",
                    details={"error_code": "thread_already_continued"},
                )  # fmt: skip
            messages = [*held.messages, *(request.get("messages") or [])]
            fields = dict(held.fields)
        return Expanded({**request, **fields, "messages": messages}, previous, fields)

    def hold(self, expanded: Expanded, reply_id: str, reply_content: list[dict[str, Any]]) -> None:
        """Hold the conversation up to this reply; the continued reply cannot be continued again."""
        messages = [*expanded.body["messages"], {"role": "assistant", "content": reply_content}]
        with self._lock:
            if expanded.previous_message_id is not None:
                previous = self._held.get(expanded.previous_message_id)
                if previous is not None:
                    previous.continued = True
            self._held[reply_id] = _Held(messages, expanded.fields)
            while len(self._held) > self._max:
                self._held.popitem(last=False)
