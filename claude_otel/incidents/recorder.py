"""The edge the hooks call: session bookkeeping, span attributes and metrics on the request path (cheap),
incident records built and written off it (``store.IncidentWriter``), each also emitted as an OTel log
record ``claude_otel.incident`` linked to its trace and span.

Every public method catches its own trouble and reports it through ``internal(reason, detail)``.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import orjson

from claude_otel.core import classify_error
from claude_otel.sessions.key import SessionKey, current_conversation, repeat_signature_of, session_key
from claude_otel.sessions.metrics import get_session_metrics
from claude_otel.sessions.table import SessionTable

from .record import build_record, new_incident_id
from .store import IncidentWriter, StoreLimits

__all__ = ["Forensics", "Pending", "live_forensics"]

# span attributes (documented in the README's attribute table)
REPEAT_OF_FAILURE = "claude_otel.repeat_of_failure"
RETRY_ATTEMPT = "claude_otel.retry_attempt"
SESSION = "claude_otel.session.key"
INCIDENT_ID = "claude_otel.incident.id"
BURST_ID = "claude_otel.incident.burst_id"
SESSION_STUCK = "claude_otel.session.stuck"
INCIDENT_EVENT = "claude_otel.incident"

_writers: dict[str, IncidentWriter] = {}
_writers_lock = threading.Lock()
_live: weakref.WeakSet[Forensics] = weakref.WeakSet()


def live_forensics() -> list[Forensics]:
    """The Forensics objects alive in this process (for the HTML page)."""
    return list(_live)


def _writer_for(path: str, limits: StoreLimits, trouble: Any) -> IncidentWriter:
    with _writers_lock:
        w = _writers.get(path)
        if w is None:
            w = _writers[path] = IncidentWriter(path, limits, on_trouble=trouble)
        return w


@dataclass(slots=True)
class Pending:
    """What the request side keeps for the response side (references, nothing copied)."""

    raw: bytes | None
    user_agent: str | None
    betas: str | None
    retry_header: int | None
    session_header: str | None
    conversation: str | None
    conversation_header: str | None
    trace_id: int
    span_id: int
    _key: Any = field(default=False)

    def key(self) -> SessionKey | None:
        if self._key is False:
            headers = {
                "x-claude-code-session-id": self.session_header,
                "x-claude-otel-conversation-id": self.conversation_header,
            }
            self._key = session_key(headers.get, self.raw, self.conversation)
        return self._key


def _header(headers: Any, name: str, cap: int = 512) -> str | None:
    value = headers.get(name) if headers is not None else None
    return value[:cap] if isinstance(value, str) else None


class Forensics:
    def __init__(
        self,
        *,
        registry: Any,
        internal: Any,
        path: str | None = None,
        keep_error_message: bool = True,
        limits: StoreLimits | None = None,
        stuck_after: int = 3,
        repeat_window: float = 10.0,
        logger_provider: Any = None,
        emit_logs: bool | None = None,
    ) -> None:
        self.internal = internal
        self.metrics = get_session_metrics(registry)
        self.table = SessionTable(stuck_after=stuck_after, repeat_window=repeat_window)
        self.metrics.stuck.add(self.table)
        self.keep_error_message = keep_error_message
        self.path = path
        self.writer: IncidentWriter | None = None
        self._logger_provider = logger_provider
        self._emit_logs = _logs_configured(logger_provider) if emit_logs is None else emit_logs
        self._logger: Any = None
        if path:
            self.writer = _writer_for(path, limits or StoreLimits(), self._trouble)
        elif self._emit_logs:
            self.writer = IncidentWriter(None, on_trouble=self._trouble)
        _live.add(self)

    @classmethod
    def from_config(cls, config: Any, registry: Any, internal: Any) -> Forensics:
        limits = StoreLimits(max_bytes=config.incidents_max_bytes)
        return cls(
            registry=registry,
            internal=internal,
            path=config.incidents_path or None,
            keep_error_message=config.incidents_error_message,
            limits=limits,
            stuck_after=config.stuck_after,
            repeat_window=config.repeat_window_seconds,
            logger_provider=config.logger_provider,
        )

    def _trouble(self, reason: str, detail: str) -> None:
        self.internal(reason, detail)

    # -- request side -------------------------------------------------------------------------------

    def begin(self, span: Any, headers: Any, raw: bytes | None) -> Pending | None:
        try:
            ctx = span.get_span_context()
            retry = _header(headers, "x-stainless-retry-count", 8)
            return Pending(
                raw,
                _header(headers, "user-agent"),
                _header(headers, "anthropic-beta", 4096),
                int(retry) if retry and retry.isdigit() else None,
                _header(headers, "x-claude-code-session-id", 256),
                current_conversation(),
                _header(headers, "x-claude-otel-conversation-id", 256),
                ctx.trace_id,
                ctx.span_id,
            )
        except Exception as exc:
            self.internal("hook_error", type(exc).__name__)
            return None

    # -- outcomes -----------------------------------------------------------------------------------

    def on_guard(self, span: Any, attempt: Any, findings: Any) -> None:
        self._failed(span, attempt, "guard_block", None, None, findings=findings, category="guard_blocked")

    def on_error(self, span: Any, attempt: Any, status: int, body: bytes | None) -> None:
        self._failed(span, attempt, "http_error", status, body)

    def on_stream_error(self, attempt: Any, data: bytes | None) -> None:
        self._failed(None, attempt, "stream_error", 200, data)

    def on_success(self, span: Any, attempt: Any, status: int) -> None:
        try:
            pending = attempt.forensic
            if pending is None:
                return
            if attempt.predicted == "error":
                self._submit(attempt, pending, "predicted_error", status, None, None, None, None, None)
            if not self.table.has_failing:
                return
            key = pending.key()
            verdict = self.table.success(str(key) if key is not None else None)
            if not verdict.recovered:
                return
            m = self.metrics
            labels = (verdict.category or "unclassified", verdict.via)
            m.child(m.recoveries, labels).inc(exemplar=attempt.exemplar)
            if span is not None and span.is_recording():
                span.set_attributes(
                    {
                        RETRY_ATTEMPT: max(pending.retry_header or 0, verdict.burst_attempt),
                        BURST_ID: verdict.burst_id,
                    }
                )
        except Exception as exc:
            self.internal("hook_error", type(exc).__name__)

    def _failed(
        self,
        span: Any,
        attempt: Any,
        kind: str,
        status: int | None,
        body: bytes | None,
        findings: Any = None,
        category: str | None = None,
    ) -> None:
        try:
            pending = attempt.forensic
            if pending is None:
                return
            cls = classify_error(body, status) if kind != "guard_block" else None
            category = category or (cls.category if cls is not None else "unclassified")
            key = pending.key()
            signature = repeat_signature_of(pending.raw) if key is not None else None
            incident_id = new_incident_id()
            verdict = self.table.failure(
                str(key) if key is not None else None,
                signature,
                category,
                incident_id,
                pending.retry_header or 0,
            )
            m = self.metrics
            counter = m.repeats if verdict.repeat else m.experienced
            m.child(counter, (category, attempt.client)).inc(exemplar=attempt.exemplar)
            if span is not None and span.is_recording():
                attrs: dict[str, Any] = {
                    REPEAT_OF_FAILURE: verdict.repeat,
                    RETRY_ATTEMPT: max(pending.retry_header or 0, verdict.burst_attempt),
                    INCIDENT_ID: incident_id,
                    BURST_ID: verdict.burst_id,
                    SESSION_STUCK: verdict.stuck,
                }
                if key is not None:
                    attrs[SESSION] = str(key)[:160]
                span.set_attributes(attrs)
            self._submit(
                attempt,
                pending,
                kind,
                status,
                cls,
                findings,
                key,
                verdict,
                incident_id,
            )
        except Exception as exc:
            self.internal("hook_error", type(exc).__name__)

    def _submit(
        self,
        attempt: Any,
        pending: Pending,
        kind: str,
        status: int | None,
        cls: Any,
        findings: Any,
        key: SessionKey | None,
        verdict: Any,
        incident_id: str | None,
    ) -> None:
        if self.writer is None:
            return
        build = partial(
            build_record,
            kind=kind,
            raw=pending.raw,
            user_agent=pending.user_agent,
            betas=pending.betas,
            endpoint=attempt.match.endpoint,
            predicted=attempt.predicted,
            findings=tuple(findings if findings is not None else attempt.findings),
            status=status,
            error_type=cls.error_type if cls is not None else None,
            category=(
                cls.category if cls is not None else ("guard_blocked" if kind == "guard_block" else None)
            ),
            error_message=cls.message if cls is not None else None,
            keep_error_message=self.keep_error_message,
            request_id=cls.request_id if cls is not None else None,
            trace_id=pending.trace_id,
            span_id=pending.span_id,
            retry_header=pending.retry_header,
            session=str(key) if key is not None else None,
            repeat_of_failure=verdict.repeat if verdict is not None else False,
            burst_id=verdict.burst_id if verdict is not None else None,
            burst_attempt=verdict.burst_attempt if verdict is not None else 0,
            session_streak=verdict.streak if verdict is not None else 0,
            stuck=verdict.stuck if verdict is not None else False,
            incident_id=incident_id,
            with_skeleton=not (verdict is not None and verdict.repeat),
        )
        after = self._emit if self._emit_logs else None
        self.writer.submit(build, len(pending.raw or b""), after)

    # -- the log record (runs on the writer thread) ---------------------------------------------------

    def _emit(self, record: dict[str, Any]) -> None:
        try:
            from opentelemetry import trace
            from opentelemetry._logs import SeverityNumber, get_logger
            from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

            if self._logger is None:
                self._logger = get_logger("claude_otel.incidents", logger_provider=self._logger_provider)
            context = None
            if record.get("trace_id") and record.get("span_id"):
                sc = SpanContext(
                    int(record["trace_id"], 16),
                    int(record["span_id"], 16),
                    is_remote=False,
                    trace_flags=TraceFlags(TraceFlags.SAMPLED),
                )
                context = trace.set_span_in_context(NonRecordingSpan(sc))
            self._logger.emit(
                context=context,
                event_name=INCIDENT_EVENT,
                severity_number=SeverityNumber.WARN
                if record["kind"] == "predicted_error"
                else SeverityNumber.ERROR,
                body=f"claude-otel incident {record['id']}: {record['kind']} {record.get('category') or ''}",
                attributes=log_attributes(record),
            )
        except Exception as exc:
            self.internal("export_error", type(exc).__name__)


def log_attributes(record: dict[str, Any]) -> dict[str, Any]:
    """The record as log attributes: scalars as they are, lists of strings kept, the rest as JSON."""
    out: dict[str, Any] = {}
    for k, v in record.items():
        name = f"claude_otel.incident.{k}"
        if v is None:
            continue
        if isinstance(v, bool | int | float | str) or (
            isinstance(v, list) and all(isinstance(x, str) for x in v)
        ):
            out[name] = v
        else:
            out[name] = orjson.dumps(v).decode()
    return out


def _logs_configured(provider: Any) -> bool:
    if provider is not None:
        return True
    try:
        from opentelemetry._logs import get_logger_provider

        return type(get_logger_provider()).__name__ not in ("ProxyLoggerProvider", "NoOpLoggerProvider")
    except Exception:
        return False
