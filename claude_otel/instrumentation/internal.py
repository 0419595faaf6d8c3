"""Counting and logging (once per reason) the instrumentation's own trouble."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable

__all__ = ["INTERNAL_REASONS", "InternalErrors"]

logger = logging.getLogger("claude_otel")

# The fixed label set of claude_otel_internal_errors_total{reason}.
INTERNAL_REASONS: tuple[str, ...] = (
    "hook_error",  # an exception inside a request/response hook (request went on untouched)
    "stream_not_replayable",  # request body is a one-shot stream (upload, generator): not read
    "body_too_large",  # request body above max_body_bytes: only its size is recorded
    "response_not_attached",  # could not find the response object to observe its body
    "response_observer_error",  # an exception while observing a response body (bytes still passed on)
    "response_body_too_large",  # JSON response body above max_body_bytes: not parsed
    "response_encoding_unsupported",  # Content-Encoding we cannot decode (br/zstd without their modules)
    "response_undecodable",  # a compressed body that failed to decode (the app still got its bytes)
    "state_error",  # the cross-turn state store failed
    "export_error",  # a metric or log record could not be emitted
    "incident_dropped",  # an incident record not written: the writer's queue was full
    "incident_store_error",  # the incident store failed (a locked file, a full disk): the record is lost
    "analysis_queue_full",  # analysis=overlap: the worker's queue was full, analysed inline (nothing lost)
    "worker_start_failed",  # analysis=overlap: the analysis thread could not start, analysed inline
    "hooks_suppressed",  # a Messages API request sent with HTTP instrumentation suppressed (coexist.py)
)


_logged: set[str] = set()  # process-wide: each reason is logged once per process
_lock = threading.Lock()


class InternalErrors:
    def __init__(self, count: Callable[[str], None]) -> None:
        self._count = count

    def __call__(self, reason: str, detail: str = "") -> None:
        """Count one internal error; log a warning the first time each reason is seen. Never raises."""
        if reason not in INTERNAL_REASONS:
            reason = "hook_error"
        with contextlib.suppress(Exception):  # counting must never raise into the app
            self._count(reason)
        with _lock:
            first = reason not in _logged
            _logged.add(reason)
        if first:
            logger.warning(
                "claude_otel internal error (%s)%s; further ones are only counted",
                reason,
                f": {detail}" if detail else "",
            )
