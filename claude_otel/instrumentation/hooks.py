"""The request/response hooks: shape on the span, metrics, response tee, cross-turn state, guard.

Every hook catches its own trouble (counted on ``claude_otel_internal_errors_total``) so that the
application never sees an exception from claude-otel, with one deliberate exception: ``GuardError``
when ``guard=True``, raised before any byte is sent.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import partial
from time import perf_counter
from types import CodeType
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, Span

from claude_otel.core import Analysis, Finding, analyze, classify_error, normalize_model
from claude_otel.core.continuity import check_continuity
from claude_otel.core.conversations import resumable
from claude_otel.core.findings import MAX_FINDINGS, cap_findings
from claude_otel.core.gcpause import gc_paused
from claude_otel.incidents.recorder import Forensics
from claude_otel.repair.inflight import mark_response, repair_outgoing

from . import attributes as A
from . import callspan
from .clients import client_label
from .config import Config
from .decode import DecodingObserver, decode_prefix, decoder_for
from .errors import GuardError, guard_error
from .genai import GenAIRecorder, stream_error_outcome, usage_attributes
from .headers import REQUEST_HEADERS, RESPONSE_HEADERS, pick
from .internal import InternalErrors
from .matcher import Match, Matcher
from .metrics import Metrics, count, get_metrics, observe, outcome_for_status, stop_reason_label
from .observe import JSONObserver, ResponseSummary, SSEObserver
from .state import StateStore
from .tee import find_response, prefetch_async, prefetch_sync, replace_stream
from .worker import AnalysisWorker, Job

__all__ = ["Hooks", "Instrumentation", "make_hooks"]

_WORKER = AnalysisWorker()  # one per process (started lazily, again after fork), shared by all hooks
_WAIT_SECONDS = 60.0  # bound on waiting for a running analysis (a 32 MB body takes well under this)

_GEN_AI_PROVIDER = {"anthropic": "anthropic", "bedrock": "aws.bedrock", "vertex": "gcp.vertex_ai"}


@dataclass(slots=True)
class _Result:
    """What the analysis of one request body produced (computed in the worker or inline)."""

    predicted: str
    model_label: str
    findings: tuple[Finding, ...]
    attrs: dict[str, Any] | None  # span attributes; None when the span is not recording
    model: str | None = None  # the request's model name


@dataclass(slots=True)
class _Attempt:
    span: Span
    match: Match
    module: Any
    client: str
    job: Job | None  # analysis=overlap: the pending analysis, resolved by the response hook
    exemplar: dict[str, str] | None  # the attempt's trace and span ids, for every metric it touches
    model_label: str = "none"
    predicted: str = "skipped"
    findings: tuple[Finding, ...] = ()
    forensic: Any = None  # claude_otel.incidents.recorder.Pending
    model: str | None = None
    started: float = field(default_factory=perf_counter)  # the request hook's time (genai durations)
    call_span: Any = None  # the SDK's / a GenAI instrumentation's span around this attempt (callspan.py)


_ATTEMPT: ContextVar[_Attempt | None] = ContextVar("claude_otel_attempt", default=None)


@dataclass(frozen=True)
class Hooks:
    """The four hooks, in the signatures opentelemetry-instrumentation-httpx expects."""

    request_hook: Callable[[Span, Any], None]
    response_hook: Callable[[Span, Any, Any], None]
    async_request_hook: Callable[[Span, Any], Awaitable[None]]
    async_response_hook: Callable[[Span, Any, Any], Awaitable[None]]
    instrumentation: Instrumentation = field(repr=False)


class Instrumentation:
    """One configured instance: metrics, state, matcher; produces the hooks."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.metrics: Metrics = get_metrics(config.registry, config.use_global_registry)
        self.state = StateStore(config.state_max_entries, config.state_ttl_seconds)
        self.matcher = Matcher(config.extra_base_urls, config.provider)
        self.internal = InternalErrors(self._count_internal)
        self._otel_logger: Any = None
        self._severity: tuple[Any, Any] = (None, None)  # SeverityNumber INFO, WARN (set with the logger)
        self.forensics = Forensics.from_config(config, self.metrics.registry, self.internal)
        self.genai = GenAIRecorder(self.metrics, config.meter_provider)

    def _count_internal(self, reason: str) -> None:
        m = self.metrics
        m.child(m.internal, (reason,)).inc()

    # --- the hooks ---------------------------------------------------------------------------------

    def hooks(self) -> Hooks:
        async def async_request_hook(span: Span, request: Any) -> None:
            self._request(span, request, True)

        async def async_response_hook(span: Span, request: Any, response: Any) -> None:
            try:
                await self._on_response(span, response, is_async=True)
            except Exception as exc:
                self.internal("hook_error", type(exc).__name__)

        return Hooks(self.request_hook, self.response_hook, async_request_hook, async_response_hook, self)

    def request_hook(self, span: Span, request: Any) -> None:
        self._request(span, request, False)

    def _request(self, span: Span, request: Any, is_async: bool) -> None:
        try:
            self._on_request(span, request, is_async)
        except GuardError:
            raise
        except Exception as exc:
            _ATTEMPT.set(None)
            self.internal("hook_error", type(exc).__name__)

    def response_hook(self, span: Span, request: Any, response: Any) -> None:
        try:
            coro = self._on_response(span, response, is_async=False)
            # the sync path never awaits anything: drive the coroutine by hand
            try:
                coro.send(None)
            except StopIteration:
                pass
            else:  # pragma: no cover - defensive
                coro.close()
        except Exception as exc:
            self.internal("hook_error", type(exc).__name__)

    # --- request side ------------------------------------------------------------------------------

    def _on_request(self, span: Span, request: Any, is_async: bool) -> None:
        previous = _ATTEMPT.get()
        if previous is not None:
            _ATTEMPT.set(None)
            if previous.job is not None and not previous.job.started:
                self._start(previous.job)  # its transport never said it sent (nor failed): analyse now
        url = request.url
        try:
            match = self.matcher.match(request.method, url.host, url.port, url.path)
        except AttributeError:  # tuple-form URL of very old httpx
            return
        if match is None:
            return
        module = sys.modules.get(type(url).__module__.split(".")[0])
        headers = pick(request.headers, REQUEST_HEADERS)  # the five read below, in one pass
        ctx = span.get_span_context()
        recording = span.is_recording()
        cfg = self.config
        raw = _replayable_body(request.stream, module)
        client = _client_label(headers)
        betas = _betas(headers) if match.provider == "anthropic" else None  # Bedrock/Vertex: in the body
        fx = self.forensics.begin(span, headers, raw)
        # the session the request belongs to, when the client says (keys the conversation memory)
        conv = (fx.session_header or fx.conversation_header or fx.conversation) if fx is not None else None
        done = None  # the analysis of the body as sent, when the repair has made it already
        if cfg.repair and raw is not None and match.endpoint == "messages":
            raw, done = repair_outgoing(
                request,
                raw,
                provider=match.provider,
                betas=betas,
                module=module,
                metrics=self.metrics,
                span=span,
                max_bytes=cfg.max_body_bytes,
                conversation=conv,
            )
            if fx is not None:
                fx.raw = raw  # (the repaired bytes, if repaired: what the incident record shows)
        retry = _retry_count(headers) if recording else None
        exemplar = self.metrics.exemplar(ctx.trace_id, ctx.span_id)
        guard = cfg.guard and match.endpoint == "messages"
        attempt = _Attempt(span, match, module, client, None, exemplar)
        attempt.forensic = fx
        work = partial(self._analyse, raw, match, client, betas, retry, recording, exemplar, conv, done)
        attempt.call_span = callspan.call_span_of(span)
        if (
            cfg.analysis == "overlap"
            and not guard
            and raw is not None
            and done is None
            and not resumable(raw, match.provider, conv)
        ):
            # start when the body is on the wire (the app then waits for the answer with the GIL
            # released); starting earlier would hold up the sending itself. A request that continues
            # its conversation's last one is analysed below instead: walking only its new turns costs
            # less CPU than the hand-off to the worker thread
            attempt.job = job = Job(work)
            if not _start_after_send(request.extensions, job, self._start, is_async):
                self._start(job)
        else:
            result = work()
            if result is None:  # the analysis failed (counted): leave this request alone
                return
            self._apply(span, attempt, result)
            if guard and any(f.severity == "error" for f in result.findings):
                if recording:
                    span.set_attribute(A.GUARD_BLOCKED, True)
                self.forensics.on_guard(span, attempt, result.findings)
                raise guard_error(result.findings)
        _ATTEMPT.set(attempt)

    def _analyse(
        self,
        raw: bytes | None,
        match: Match,
        client: str,
        betas: str | None,
        retry: int | None,
        recording: bool,
        exemplar: Any,
        conversation: str | None = None,
        done: Analysis | None = None,
    ) -> _Result | None:
        """Analysis (`done`: already made, of these bytes), cross-turn checks, request metrics, span
        attributes. Never raises (None: failed)."""
        try:
            with gc_paused():  # the parsed body is freed inside: see gcpause
                return self._analyse_body(
                    raw, match, client, betas, retry, recording, exemplar, conversation, done
                )
        except Exception as exc:
            self.internal("hook_error", type(exc).__name__)
            return None

    def _analyse_body(
        self,
        raw: bytes | None,
        match: Match,
        client: str,
        betas: str | None,
        retry: int | None,
        recording: bool,
        exemplar: Any,
        conversation: str | None = None,
        done: Analysis | None = None,
    ) -> _Result:
        cfg = self.config
        m = self.metrics
        findings: tuple[Finding, ...] = ()
        shape: Any = None  # the Shape, when the body was analysed (not skipped / unparsed)
        if raw is None:
            self.internal("stream_not_replayable")
            predicted, model = "skipped", None
        else:
            if len(raw) > cfg.max_body_bytes:
                self.internal("body_too_large", f"{len(raw)} bytes > max_body_bytes={cfg.max_body_bytes}")
            analysis = (
                done
                if done is not None
                else analyze(
                    raw,
                    provider=match.provider,
                    max_bytes=cfg.max_body_bytes,
                    betas=betas,
                    conversation=conversation,
                )
            )
            predicted = analysis.predicted
            shape = analysis.shape
            model = shape.model
            findings = tuple(analysis.findings)
            # the fast path's decoded request, or the parsed body: never a second parse of the bytes
            body: Any = analysis.decoded if analysis.decoded is not None else analysis.body
            if body is not None and match.endpoint == "messages":
                try:
                    extra = check_continuity(body, self.state.get)
                except Exception as exc:
                    extra = ()
                    self.internal("state_error", type(exc).__name__)
                if extra and len(findings) < MAX_FINDINGS:  # (at the cap, a summary already says "more")
                    seen = {(f.rule, f.path) for f in findings}
                    findings = cap_findings((*findings, *(f for f in extra if (f.rule, f.path) not in seen)))
            del body, analysis
            if findings and predicted not in ("skipped", "unparsed"):
                if any(f.severity == "error" for f in findings):
                    predicted = "error"
                elif predicted == "ok":
                    predicted = "warning"
            if predicted not in ("skipped", "unparsed"):
                observe(m.req_tool_use, shape.tool_use_count, exemplar)
                observe(m.req_tool_result, shape.tool_result_count, exemplar)
                observe(m.req_messages, shape.message_count, exemplar)
            else:
                shape = None  # only the size is known
            observe(m.req_bytes, len(raw), exemplar)
        model = model if isinstance(model, str) else None
        model_label = normalize_model(model)
        for rule_severity in {(f.rule, f.severity) for f in findings}:
            count(m.child(m.findings, rule_severity), exemplar)
        if not recording:
            return _Result(predicted, model_label, findings, None, model)
        attrs: dict[str, Any] = {
            A.GEN_AI_PROVIDER: _GEN_AI_PROVIDER.get(match.provider, match.provider),
            A.GEN_AI_OPERATION: "chat" if match.endpoint == "messages" else "count_tokens",
            A.ENDPOINT: match.endpoint,
            A.CLIENT: client,
            A.MODEL_LABEL: model_label,
            A.PREDICTED: predicted,
            A.FINDING_COUNT: len(findings),
        }
        if isinstance(model, str):
            attrs[A.GEN_AI_MODEL] = model
        if shape is not None:
            attrs[A.GEN_AI_STREAM] = bool(shape.stream)
            if isinstance(shape.max_tokens, int):
                attrs[A.GEN_AI_MAX_TOKENS] = shape.max_tokens
            A.shape_attributes(shape, attrs)
        if raw is not None:
            attrs[A.SHAPE_PREFIX + "body_bytes"] = len(raw)
        if findings:
            attrs[A.RULES] = sorted({f.rule for f in findings})
        if retry is not None:
            attrs[A.RETRY_ATTEMPT] = retry
        return _Result(predicted, model_label, findings, attrs, model)

    def _apply(self, span: Span, attempt: _Attempt, result: _Result) -> None:
        """Put an analysis result on the attempt and (if recording) on its span."""
        attempt.predicted = result.predicted
        attempt.model_label = result.model_label
        attempt.findings = result.findings
        attempt.model = result.model
        if attempt.call_span is not None:
            callspan.put_verdict(attempt.call_span, result.predicted, result.findings)
        if result.attrs is not None:
            span.set_attributes(result.attrs)
            for f in result.findings:
                span.add_event(
                    A.FINDING_EVENT,
                    {A.RULE: f.rule, A.SEVERITY: f.severity, A.PATH: f.path, A.MESSAGE: f.message},
                )

    def _start(self, job: Job) -> None:
        """Hand a job to the worker; if its queue is full or its thread cannot start, run it here and now
        (nothing is lost; this runs in httpcore's trace callback, where nothing may raise)."""
        try:
            queued = _WORKER.enqueue(job)
        except Exception as exc:  # Thread.start failed (pids or memory limit): analysed inline, counted
            self.internal("worker_start_failed", type(exc).__name__)
            job.run()
            return
        if not queued:
            self.internal("analysis_queue_full")
            job.run()

    def _resolve(self, span: Span, attempt: _Attempt) -> bool:
        """analysis=overlap: collect the background analysis (run it here if still queued)."""
        job = attempt.job
        if job is None:
            return True
        attempt.job = None
        try:
            result = job.result(_WAIT_SECONDS)
        except Exception as exc:
            self.internal("hook_error", type(exc).__name__)
            return False
        if result is None:  # the analysis failed (counted)
            return False
        self._apply(span, attempt, result)
        return True

    # --- response side -----------------------------------------------------------------------------

    async def _on_response(self, span: Span, response: Any, *, is_async: bool) -> None:
        mark_response(response)
        attempt = _ATTEMPT.get()
        if attempt is None or attempt.span is not span:
            return
        _ATTEMPT.set(None)
        if not self._resolve(span, attempt):
            return
        m = self.metrics
        status = int(response.status_code)
        outcome = outcome_for_status(status)
        exemplar = attempt.exemplar
        labels = (attempt.match.endpoint, attempt.model_label, attempt.client, attempt.predicted, outcome)
        count(m.child(m.requests, labels), exemplar)
        headers = pick(response.headers, RESPONSE_HEADERS)  # the three read below, in one pass
        recording = span.is_recording()
        if recording:
            attrs: dict[str, Any] = {A.OUTCOME: outcome}
            request_id = headers.get("request-id") if headers is not None else None
            if request_id:
                attrs[A.REQUEST_ID] = request_id[:128]
            span.set_attributes(attrs)
        if not self.config.observe_responses:
            if status >= 400:
                self._count_error(attempt, classify_error(None, status), status, exemplar, span)
                self.forensics.on_error(span, attempt, status, None)
            else:
                self.forensics.on_success(span, attempt, status)
            return
        module = attempt.module
        response_types = (module.Response,) if module is not None else ()
        target = find_response(response.stream, response_types, skip=_HOOK_CODES) if response_types else None
        encoding = _content_encoding(headers)
        if status >= 400:
            body: bytes | None = None
            if target is None:
                self.internal("response_not_attached")
            else:
                cap = self.config.max_error_body_bytes
                if is_async:
                    body = await prefetch_async(target, module, cap)
                else:
                    body = prefetch_sync(target, module, cap)
                if encoding and body is not None:
                    if decoder_for(encoding) is None:
                        self.internal("response_encoding_unsupported", encoding[:32])
                        body = None
                    else:
                        body = decode_prefix(body, encoding, cap)
                        if body is None:
                            self.internal("response_undecodable")
            self._count_error(attempt, classify_error(body, status), status, exemplar, span)
            self.forensics.on_error(span, attempt, status, body)
            return
        ctype = (headers.get("content-type") or "") if headers is not None else ""
        observer: Any = None
        if attempt.match.endpoint == "messages" and status < 300:
            if "text/event-stream" in ctype:
                observer = SSEObserver()
            elif "json" in ctype:
                observer = JSONObserver(self.config.max_body_bytes)
        decoder = decoder_for(encoding) if encoding and observer is not None else None
        observed_stream = observer.__class__ is SSEObserver and target is not None
        if not (observed_stream and (decoder is not None or not encoding)):
            # (a stream that will be observed gets its verdict at its end, in _finish: an `event: error`
            # in a 200 stream is a failure)
            self.forensics.on_success(span, attempt, status)
        if observer is None:
            return
        if encoding:
            if decoder is None:
                self.internal("response_encoding_unsupported", encoding[:32])
                return
            observer = DecodingObserver(observer, decoder)
        if target is None:
            self.internal("response_not_attached")
            return
        replace_stream(
            target,
            module,
            observer,
            partial(self._finish, attempt),
            lambda detail: self.internal("response_observer_error", detail),
            is_async,
        )

    def _count_error(self, attempt: _Attempt, cls: Any, status: int, exemplar: Any, span: Span) -> None:
        status_class = "4xx" if status < 500 else "5xx"
        m = self.metrics
        count(m.child(m.errors, (cls.category, attempt.predicted, status_class)), exemplar)
        if span.is_recording():
            attrs = {A.ERROR_TYPE: cls.error_type or str(status), A.ERROR_CATEGORY: cls.category}
            if status == 400:
                attrs[A.PREDICTION] = "confirmed" if attempt.predicted == "error" else "unexplained"
            span.set_attributes(attrs)
        if attempt.call_span is not None:
            prediction = (
                ("confirmed" if attempt.predicted == "error" else "unexplained") if status == 400 else None
            )
            callspan.put_error(attempt.call_span, cls.category, prediction)
        if attempt.match.endpoint == "messages":
            outcome = outcome_for_status(status)
            self.genai.error(
                **self._genai_args(attempt), status=status, outcome=outcome, error_type=cls.error_type
            )

    def _genai_args(self, attempt: _Attempt) -> dict[str, Any]:
        provider = _GEN_AI_PROVIDER.get(attempt.match.provider, attempt.match.provider)
        return {
            "provider": provider,
            "model_label": attempt.model_label,
            "request_model": attempt.model,
            "started": attempt.started,
            "exemplar": attempt.exemplar,
        }

    def _finish(self, attempt: _Attempt, summary: ResponseSummary, exhausted: bool) -> None:
        """Runs when the application has finished reading (or closed) a 2xx body: after the span ended."""
        m = self.metrics
        exemplar = attempt.exemplar
        log_attrs: dict[str, Any] = {
            A.ENDPOINT: attempt.match.endpoint,
            A.RESPONSE_KIND: summary.kind,
            A.RESPONSE_BYTES: summary.bytes_seen,
        }
        category = None
        if summary.kind == "sse":
            if summary.error_event is not None:
                stream_outcome = "error_event"
                cls = classify_error(summary.error_event, 200)
                category = cls.category
                count(m.child(m.errors, (cls.category, attempt.predicted, "stream")), exemplar)
                log_attrs[A.ERROR_CATEGORY] = cls.category
                self.forensics.on_stream_error(attempt, summary.error_event)
                if cls.error_type:
                    log_attrs[A.ERROR_TYPE] = cls.error_type
            elif summary.completed:
                stream_outcome = "completed"
                self.forensics.on_success(None, attempt, 200)
            else:
                stream_outcome = "incomplete"
            count(m.child(m.streams, (stream_outcome,)), exemplar)
            log_attrs[A.STREAM_OUTCOME] = stream_outcome
        elif summary.too_large:
            self.internal("response_body_too_large")
        if "undecodable" in summary.notes:
            self.internal("response_undecodable")
        record = summary.record
        if summary.stop_reason is not None or (summary.kind == "json" and summary.completed):
            count(m.child(m.stop_reasons, (stop_reason_label(summary.stop_reason),)), exemplar)
            observe(m.resp_tool_use, summary.tool_use_count, exemplar)
        if record is not None and (record.message_id or record.tool_use_ids):
            try:
                self.state.put(record)
            except Exception as exc:
                self.internal("state_error", type(exc).__name__)
        if summary.message_id:
            log_attrs[A.GEN_AI_RESPONSE_ID] = summary.message_id
        if summary.stop_reason:
            log_attrs[A.STOP_REASON] = stop_reason_label(summary.stop_reason)
            log_attrs[A.GEN_AI_FINISH_REASONS] = [summary.stop_reason[:64]]
        log_attrs[A.RESPONSE_TOOL_USE_COUNT] = summary.tool_use_count
        log_attrs[A.RESPONSE_CONTAINER] = summary.container_id is not None
        error_type = log_attrs.get(A.ERROR_TYPE) if category is not None else None
        outcome = "ok" if category is None else stream_error_outcome(error_type)
        self.genai.response(
            **self._genai_args(attempt), summary=summary, outcome=outcome, error_type=error_type
        )
        usage_attributes(summary.usage, summary.response_model, log_attrs)
        self._emit(attempt, log_attrs, error=category is not None)

    def _emit(self, attempt: _Attempt, attrs: dict[str, Any], error: bool) -> None:
        """An OTel log record (event ``claude_otel.response``) linked to the attempt's trace and span."""
        try:
            logger = self._otel_logger
            if logger is None:
                from opentelemetry._logs import SeverityNumber, get_logger

                logger = self._otel_logger = get_logger(
                    "claude_otel", logger_provider=self.config.logger_provider
                )
                self._severity = (SeverityNumber.INFO, SeverityNumber.WARN)
            parent = NonRecordingSpan(attempt.span.get_span_context())
            logger.emit(
                context=trace.set_span_in_context(parent),
                event_name=A.RESPONSE_EVENT,
                severity_number=self._severity[error],
                attributes=attrs,
            )
        except Exception as exc:
            self.internal("export_error", type(exc).__name__)


def make_hooks(**config: Any) -> Hooks:
    """Hooks for your own transports / ``instrument_client`` (config as for ``instrument``)."""
    return Instrumentation(Config.build(config)).hooks()


# --- small helpers -----------------------------------------------------------------------------------


def _hook_codes() -> frozenset[int]:
    """The ids of the response hooks' own code objects (kept alive by the class for the process's life):
    find_response passes over their frames (no Response there)."""
    codes = [Instrumentation._on_response.__code__, Instrumentation.response_hook.__code__]
    codes += [c for c in Instrumentation.hooks.__code__.co_consts if isinstance(c, CodeType)]
    return frozenset(id(c) for c in codes)


_HOOK_CODES = _hook_codes()


_SEND_DONE = ("send_request_body.complete", ".failed")


def _start_after_send(extensions: Any, job: Job, start: Callable[[Job], None], is_async: bool) -> bool:
    """Chain an httpcore ``trace`` extension that starts ``job`` once the request body is sent
    (or the transport fails). False if the request has no extensions dict (start it yourself)."""
    if not isinstance(extensions, dict):
        return False
    chained = extensions.get("trace")
    # (httpcore calls this for every step of every request: one C-level suffix test first)
    if is_async:

        async def atrace(name: str, info: Any) -> None:
            if name.endswith(_SEND_DONE) and not job.started:
                start(job)
            if chained is not None:
                await chained(name, info)

        extensions["trace"] = atrace
    else:

        def trace(name: str, info: Any) -> None:
            if name.endswith(_SEND_DONE) and not job.started:
                start(job)
            if chained is not None:
                chained(name, info)

        extensions["trace"] = trace
    return True


def _replayable_body(stream: Any, module: Any) -> bytes | None:
    """The request body if its stream can be read without taking it from the transport, else None."""
    if stream is None:
        return b""
    if module is not None and isinstance(stream, module.ByteStream):
        return b"".join(stream)  # ByteStream yields its one bytes object: replayable, no copy kept
    return None


def _client_label(headers: Any) -> str:
    ua = headers.get("user-agent") if headers is not None else None
    return client_label(ua[:512] if isinstance(ua, str) else None)


def _betas(headers: Any) -> str | None:
    """The request's ``anthropic-beta`` flags ("" when it sends none; None when headers are unknown)."""
    if headers is None:
        return None
    value = headers.get("anthropic-beta", "")
    return value[:4096] if isinstance(value, str) else None


def _content_encoding(headers: Any) -> str:
    """The Content-Encoding to undo for observing ("" for none/identity)."""
    value = headers.get("content-encoding", "") if headers is not None else ""
    value = value.strip().lower()
    return "" if value in ("", "identity") else value


def _retry_count(headers: Any) -> int | None:
    if headers is None:
        return None
    value = headers.get("x-stainless-retry-count")
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None
