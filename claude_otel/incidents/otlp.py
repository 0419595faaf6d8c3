"""An OpenTelemetry LoggerProvider exporting over OTLP/HTTP from the standard variables, so the proxy's
incident records (``claude_otel.incident`` log records) reach a collector next to its traces."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

LOGS_ENV = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT")


def logger_provider_from_env(environ: Mapping[str, str] | None = None) -> tuple[Any | None, str]:
    """(a LoggerProvider with an OTLP/HTTP exporter, or None; a one-line notice, "" when not asked for)."""
    env = os.environ if environ is None else environ
    if not any(env.get(name) for name in LOGS_ENV):
        return None, ""
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return None, ""
    if env.get("OTEL_LOGS_EXPORTER", "otlp").strip().lower() in ("none", ""):
        return None, "incident log records off: OTEL_LOGS_EXPORTER=none"
    try:
        from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
        from opentelemetry.sdk._logs import LoggerProvider
        from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
        from opentelemetry.sdk.resources import Resource
    except ImportError:
        return None, "incident log records not exported: opentelemetry-exporter-otlp-proto-http is missing"
    attributes = {} if env.get("OTEL_SERVICE_NAME") else {"service.name": "claude-otel-proxy"}
    endpoint = env.get("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT")
    if not endpoint:
        endpoint = env["OTEL_EXPORTER_OTLP_ENDPOINT"].rstrip("/") + "/v1/logs"
    provider = LoggerProvider(resource=Resource.create(attributes))
    provider.add_log_record_processor(BatchLogRecordProcessor(OTLPLogExporter(endpoint=endpoint)))
    return provider, f"incident log records exported over OTLP/HTTP: {endpoint}"
