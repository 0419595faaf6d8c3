"""GenAI metrics from the responses the hooks observe: token usage, operation duration, time to first token.

Two outputs of the same numbers:

- Prometheus series on claude-otel's registry, labelled from fixed sets only (the bounded model family,
  the outcome, the token type);
- the OpenTelemetry Metrics API, with the names, units, buckets and attributes of the GenAI semantic
  conventions (``gen_ai.client.token.usage``, ``gen_ai.client.operation.duration``,
  ``gen_ai.client.operation.time_to_first_chunk``), on the ``meter_provider`` given to ``instrument()``
  or the global one (a no-op until the application sets one).

Usage is read from ``message_start`` / ``message_delta`` (streams) or the JSON body; nothing else of the
response is kept. Never raises into the hooks: failures are counted by the caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from time import perf_counter
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

from claude_otel.core import normalize_model

from .exemplars import count, observe

__all__ = [
    "TOKEN_TYPES",
    "GenAIRecorder",
    "GenAISeries",
    "read_usage",
    "usage_attributes",
]

# the token_type label of claude_otel_tokens_total: Anthropic's four counters (input excludes the cache)
TOKEN_TYPES = ("input", "output", "cache_read", "cache_creation")
_USAGE_FIELDS = (
    ("input_tokens", "input"),
    ("output_tokens", "output"),
    ("cache_read_input_tokens", "cache_read"),
    ("cache_creation_input_tokens", "cache_creation"),
)
# error.type on the OTel duration: the API's error types; anything else is the status code
_ERROR_TYPES = frozenset(
    {
        "invalid_request_error",
        "authentication_error",
        "permission_error",
        "not_found_error",
        "request_too_large",
        "rate_limit_error",
        "api_error",
        "overloaded_error",
        "billing_error",
        "timeout_error",
    }
)

# Prometheus buckets: contexts of 200k and 1M tokens are the limits that matter
_TOKEN_BUCKETS = (256, 1024, 4096, 16384, 32768, 65536, 100000, 150000, 200000, 500000, 1000000)
_DURATION_BUCKETS = (0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128, 300, 600)
_TTFT_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64)
# the semantic conventions' bucket advisories
_SEMCONV_TOKEN_BUCKETS = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216)
_SEMCONV_SECONDS_BUCKETS = (
    0.01,
    0.02,
    0.04,
    0.08,
    0.16,
    0.32,
    0.64,
    1.28,
    2.56,
    5.12,
    10.24,
    20.48,
    40.96,
    81.92,
)

# GenAI semconv names (development status; plain strings on purpose, see attributes.py)
TOKEN_USAGE = "gen_ai.client.token.usage"
OPERATION_DURATION = "gen_ai.client.operation.duration"
TIME_TO_FIRST_CHUNK = "gen_ai.client.operation.time_to_first_chunk"
USAGE_INPUT = "gen_ai.usage.input_tokens"
USAGE_OUTPUT = "gen_ai.usage.output_tokens"
USAGE_CACHE_READ = "gen_ai.usage.cache_read.input_tokens"
USAGE_CACHE_CREATION = "gen_ai.usage.cache_creation.input_tokens"
RESPONSE_MODEL = "gen_ai.response.model"


def read_usage(obj: Any, into: dict[str, int] | None = None) -> dict[str, int] | None:
    """The token counts of a Messages API ``usage`` object, by token type (merged into ``into``)."""
    if not isinstance(obj, Mapping):
        return into
    out = into if into is not None else {}
    for field, kind in _USAGE_FIELDS:
        value = obj.get(field)
        if type(value) is int and value >= 0:
            out[kind] = value
    return out or into


def input_total(usage: Mapping[str, int]) -> int:
    """The whole context the request carried: fresh input plus cache reads and writes (semconv's
    ``gen_ai.usage.input_tokens`` for Anthropic)."""
    return usage.get("input", 0) + usage.get("cache_read", 0) + usage.get("cache_creation", 0)


def usage_attributes(usage: Mapping[str, int] | None, response_model: Any, out: dict[str, Any]) -> None:
    """Usage and the response model on a log record (semconv names)."""
    if isinstance(response_model, str) and response_model:
        out[RESPONSE_MODEL] = response_model[:64]
    if not usage:
        return
    out[USAGE_INPUT] = input_total(usage)
    if "output" in usage:
        out[USAGE_OUTPUT] = usage["output"]
    if "cache_read" in usage:
        out[USAGE_CACHE_READ] = usage["cache_read"]
    if "cache_creation" in usage:
        out[USAGE_CACHE_CREATION] = usage["cache_creation"]


def stream_error_outcome(error_type: str | None) -> str:
    """The outcome label of a stream that ended with ``event: error`` (HTTP 200)."""
    if error_type == "overloaded_error":
        return "overloaded"
    if error_type == "rate_limit_error":
        return "rate_limited"
    return "server_error"


class GenAISeries:
    """The Prometheus side, created with claude-otel's other series on one registry (metrics.Metrics)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        r = registry
        self.tokens = Counter(
            "claude_otel_tokens",
            "Tokens in responses' usage, by model family and type (input excludes cache reads/writes)",
            ("model", "token_type"),
            registry=r,
        )
        self.input_tokens = Histogram(
            "claude_otel_request_input_tokens",
            "Context size per successful request: input + cache_read + cache_creation tokens",
            ("model",),
            registry=r,
            buckets=_TOKEN_BUCKETS,
        )
        self.duration = Histogram(
            "claude_otel_operation_duration_seconds",
            "From the request hook to the end of the response body (errors: to the response headers)",
            ("model", "outcome"),
            registry=r,
            buckets=_DURATION_BUCKETS,
        )
        self.ttft = Histogram(
            "claude_otel_time_to_first_token_seconds",
            "Streams: from the request hook to the first content_block_delta the application read",
            ("model",),
            registry=r,
            buckets=_TTFT_BUCKETS,
        )


class _OTelInstruments:
    def __init__(self, meter_provider: Any) -> None:
        from opentelemetry.metrics import get_meter

        from claude_otel import __version__

        meter = get_meter("claude_otel", __version__, meter_provider=meter_provider)
        self.tokens = meter.create_histogram(
            TOKEN_USAGE,
            unit="{token}",
            description="Number of input and output tokens used.",
            explicit_bucket_boundaries_advisory=list(_SEMCONV_TOKEN_BUCKETS),
        )
        self.duration = meter.create_histogram(
            OPERATION_DURATION,
            unit="s",
            description="GenAI operation duration.",
            explicit_bucket_boundaries_advisory=list(_SEMCONV_SECONDS_BUCKETS),
        )
        self.first_chunk = meter.create_histogram(
            TIME_TO_FIRST_CHUNK,
            unit="s",
            description="Time to receive the first chunk of the response stream.",
            explicit_bucket_boundaries_advisory=list(_SEMCONV_SECONDS_BUCKETS),
        )


class GenAIRecorder:
    """Records one Messages API call's GenAI numbers on both outputs (one instance per Instrumentation)."""

    def __init__(self, metrics: Any, meter_provider: Any) -> None:
        self._metrics = metrics  # metrics.Metrics: .child() caches label children
        self._series: GenAISeries = metrics.genai
        self._meter_provider = meter_provider
        self._otel: _OTelInstruments | None = None
        self._attr_cache: dict[tuple[Any, ...], tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = {}

    def _instruments(self) -> _OTelInstruments:
        otel = self._otel
        if otel is None:
            otel = self._otel = _OTelInstruments(self._meter_provider)
        return otel

    @staticmethod
    def _attributes(
        provider: str, model_label: str, request_model: Any, response_model: Any
    ) -> dict[str, Any]:
        attrs: dict[str, Any] = {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": provider,
            "claude_otel.model": model_label,
        }
        # raw model names only when they belong to a known family (a hostile client of the proxy must not
        # mint series); the family label is always there
        if model_label not in ("other", "none") and isinstance(request_model, str):
            attrs["gen_ai.request.model"] = request_model[:64]
        if isinstance(response_model, str) and normalize_model(response_model) not in ("other", "none"):
            attrs[RESPONSE_MODEL] = response_model[:64]
        return attrs

    def response(
        self,
        *,
        provider: str,
        model_label: str,
        request_model: Any,
        started: float,
        summary: Any,
        outcome: str,
        error_type: str | None,
        exemplar: Any,
    ) -> None:
        """A response body the application finished reading (``summary``: observe.ResponseSummary)."""
        now = perf_counter()
        m = self._metrics
        s = self._series
        usage = summary.usage
        duration = now - started
        observe(m.child(s.duration, (model_label, outcome)), duration, exemplar)
        first_token = summary.first_token_at
        if first_token is not None:
            observe(m.child(s.ttft, (model_label,)), first_token - started, exemplar)
        if usage:
            for kind, n in usage.items():  # a reported 0 too: a cache hit ratio of 0 is an answer
                count(m.child(s.tokens, (model_label, kind)), exemplar, n)
            observe(m.child(s.input_tokens, (model_label,)), input_total(usage), exemplar)
        otel = self._instruments()
        attrs, input_attrs, output_attrs = self._response_attributes(
            provider, model_label, request_model, summary.response_model, error_type
        )
        otel.duration.record(duration, attrs)
        if summary.first_chunk_at is not None:
            otel.first_chunk.record(summary.first_chunk_at - started, attrs)
        if usage:
            otel.tokens.record(input_total(usage), input_attrs)
            if "output" in usage:
                otel.tokens.record(usage["output"], output_attrs)

    def _response_attributes(
        self, provider: str, model_label: str, request_model: Any, response_model: Any, error_type: Any
    ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        """The attributes of a response's duration, input tokens and output tokens (never mutated by the
        instruments), kept for the few combinations a process sees: at most 64, of names of 64
        characters at most (longer ones are built each time)."""
        key = (provider, model_label, request_model, response_model, error_type)
        hit = self._attr_cache.get(key)
        if hit is not None:
            return hit
        attrs = self._attributes(provider, model_label, request_model, response_model)
        tokens = {**attrs}
        if error_type is not None:
            attrs["error.type"] = error_type if error_type in _ERROR_TYPES else "_OTHER"
        hit = (attrs, {**tokens, "gen_ai.token.type": "input"}, {**tokens, "gen_ai.token.type": "output"})
        if all(not isinstance(v, str) or len(v) <= 64 for v in key):
            if len(self._attr_cache) >= 64:
                self._attr_cache.clear()
            self._attr_cache[key] = hit
        return hit

    def error(
        self,
        *,
        provider: str,
        model_label: str,
        request_model: Any,
        started: float,
        status: int,
        outcome: str,
        error_type: str | None,
        exemplar: Any,
    ) -> None:
        """An error status (4xx/5xx): the duration to the response, with the outcome / error.type."""
        duration = perf_counter() - started
        m = self._metrics
        observe(m.child(self._series.duration, (model_label, outcome)), duration, exemplar)
        attrs = self._attributes(provider, model_label, request_model, None)
        attrs["error.type"] = error_type if error_type in _ERROR_TYPES else str(status)
        self._instruments().duration.record(duration, attrs)
