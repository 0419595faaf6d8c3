"""Exposition (exemplars, multiprocess), configuration from env, the opentelemetry-instrument entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path
from typing import Any

import httpx2
import pytest

import claude_otel
from claude_otel.instrumentation.config import Config, ConfigError

from .conftest import http_spans
from .double import Double

BODY = json.dumps(
    {"model": "claude-opus-4-6", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}
).encode()


def test_exemplars_carry_the_trace_id(double: Double, instrumented: Any) -> None:
    with httpx2.Client(base_url=double.base_url) as c:
        c.post("/v1/messages", content=BODY)
    span = http_spans(instrumented.spans)[-1]
    samples = instrumented.metrics.samples(openmetrics=True)
    req = next(s for s in samples if s.name == "claude_otel_requests_total" and s.value == 1)
    assert req.exemplar is not None
    assert req.exemplar.labels["trace_id"] == format(span.context.trace_id, "032x")
    assert req.exemplar.labels["span_id"] == format(span.context.span_id, "016x")
    # the request's shape histograms and the response's stop reason point at the same attempt
    # (and the GenAI series of the response: tokens, duration, context size)
    for name in (
        "claude_otel_request_messages_bucket",
        "claude_otel_response_stop_reasons_total",
        "claude_otel_response_tool_use_blocks_bucket",
        "claude_otel_tokens_total",
        "claude_otel_operation_duration_seconds_bucket",
        "claude_otel_request_input_tokens_bucket",
    ):
        with_exemplar = [s for s in samples if s.name == name and s.exemplar is not None]
        assert with_exemplar, name
        assert {s.exemplar.labels["trace_id"] for s in with_exemplar} == {req.exemplar.labels["trace_id"]}
    # the classic text format (what Prometheus scrapes by default) still parses
    assert instrumented.metrics.value("claude_otel_requests_total") == 1


def test_exemplar_updates_expose_what_the_public_methods_expose() -> None:
    """exemplars.count/observe (no per-call validation) against Counter.inc/Histogram.observe: the same
    OpenMetrics page, values, buckets and exemplars (timestamps aside)."""
    import re

    from prometheus_client import CollectorRegistry, Counter, Histogram
    from prometheus_client.openmetrics.exposition import generate_latest

    from claude_otel.instrumentation.exemplars import count, observe

    exemplar = {"trace_id": "0af7651916cd43dd8448eb211c80319c", "span_id": "b7ad6b7169203331"}
    pages = []
    for fast in (True, False):
        r = CollectorRegistry()
        c = Counter("c", "c", ("k",), registry=r)
        h = Histogram("h", "h", ("k",), registry=r, buckets=(1, 5, 10))
        for amount in (0, 3, 7.5, 40):
            for ex in (exemplar, None):
                if fast:
                    count(c.labels("a"), ex, amount)
                    observe(h.labels("a"), amount, ex)
                else:
                    c.labels("a").inc(amount, exemplar=ex)
                    h.labels("a").observe(amount, ex)
        # timestamps aside (the exemplars' and the _created samples')
        pages.append(re.sub(rb"\d{10}\.\d+|\d\.\d+e\+09", b"T", generate_latest(r)))
    assert pages[0] == pages[1]
    assert pages[0].count(b"trace_id=") == 5  # the counter's and each bucket's (le=1, 5, 10, +Inf)
    assert b'h_sum{k="a"} 101.0' in pages[0] and b'h_count{k="a"} 8.0' in pages[0]


def test_label_values_come_from_fixed_sets(double: Double, instrumented: Any) -> None:
    from claude_otel.core import CATEGORIES, RULES
    from claude_otel.instrumentation import metrics as M
    from claude_otel.instrumentation.genai import TOKEN_TYPES
    from claude_otel.instrumentation.internal import INTERNAL_REASONS

    with httpx2.Client(base_url=double.base_url) as c:
        c.post("/v1/messages", content=BODY.replace(b"claude-opus-4-6", b"my-fine-tuned-model-x123"))
        c.post("/v1/messages", content=b"[1,2]")
        c.post("/v1/messages", content=BODY, headers={"x-double": "server_error"})
    allowed = {
        "endpoint": set(M.ENDPOINTS),
        "client": set(M.CLIENTS),
        "predicted": set(M.PREDICTED),
        "outcome": set(M.OUTCOMES),
        "status_class": set(M.STATUS_CLASSES),
        "stop_reason": set(M.STOP_REASONS),
        "reason": set(INTERNAL_REASONS),
        "category": set(CATEGORIES),
        "rule": set(RULES),
        "severity": {"error", "warning"},
        "token_type": set(TOKEN_TYPES),
    }
    models = set()
    for s in instrumented.metrics.samples():
        if not s.name.startswith("claude_otel_"):
            continue
        for k, v in s.labels.items():
            if k == "le":
                continue
            if k == "model":
                models.add(v)
                continue
            assert v in allowed[k], (s.name, k, v)
    from claude_otel.core import normalize_model

    assert models and models <= {normalize_model("claude-opus-4-6"), "other", "none"}
    assert "my-fine-tuned-model-x123" not in models


def test_multiprocess_mode_sums_two_processes(tmp_path: Path, double: Double) -> None:
    mp = tmp_path / "mp"
    mp.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(mp), "CLAUDE_OTEL_EXTRA_BASE_URLS": double.base_url}
    worker = textwrap.dedent(
        f"""
        import httpx2, claude_otel
        claude_otel.instrument()
        with httpx2.Client(base_url={double.base_url!r}) as c:
            for _ in range(3):
                c.post("/v1/messages", content={BODY!r})
        """
    )
    procs = [subprocess.Popen([sys.executable, "-c", worker], env=env) for _ in range(2)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    server = textwrap.dedent(
        """
        import urllib.request, claude_otel
        server, _ = claude_otel.start_metrics_server(0)
        url = f"http://127.0.0.1:{server.server_port}/metrics"
        print(urllib.request.urlopen(url, timeout=10).read().decode())
        server.shutdown()
        """
    )
    out = subprocess.run([sys.executable, "-c", server], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("claude_otel_requests_total{")]
    assert sum(float(ln.rsplit(" ", 1)[1]) for ln in lines) == 6.0
    assert 'outcome="ok"' in lines[0]


def test_config_from_env_and_errors() -> None:
    env = {
        "CLAUDE_OTEL_GUARD": "true",
        "CLAUDE_OTEL_MAX_BODY_BYTES": "1234",
        "CLAUDE_OTEL_EXTRA_BASE_URLS": "http://a:1, https://b/x/",
        "CLAUDE_OTEL_STATE_TTL_SECONDS": "9.5",
    }
    cfg = Config.build({}, env)
    assert cfg.guard is True and cfg.max_body_bytes == 1234 and cfg.state_ttl_seconds == 9.5
    assert cfg.extra_base_urls == ("http://a:1", "https://b/x")
    assert Config.build({"guard": False}, env).guard is False  # keyword wins over env
    with pytest.raises(ConfigError, match="CLAUDE_OTEL_MAX_BODY_BYTES"):
        Config.build({}, {"CLAUDE_OTEL_MAX_BODY_BYTES": "lots"})
    with pytest.raises(ConfigError, match="gaurd"):
        claude_otel.instrument(gaurd=True)
    with pytest.raises(ConfigError, match="provider"):
        Config.build({"provider": "openai"}, {})


def test_uninstrument_stops_observing(double: Double, instrumented: Any) -> None:
    claude_otel.uninstrument()
    with httpx2.Client(base_url=double.base_url) as c:
        c.post("/v1/messages", content=BODY)
    assert instrumented.metrics.value("claude_otel_requests_total") == 0


def test_opentelemetry_instrument_picks_it_up(tmp_path: Path, double: Double) -> None:
    """Zero-code: `opentelemetry-instrument python app.py` loads claude-otel from its entry point."""
    app = tmp_path / "app.py"
    app.write_text(
        textwrap.dedent(
            f"""
            import httpx2, claude_otel
            with httpx2.Client(base_url={double.base_url!r}) as c:
                c.post("/v1/messages", content={BODY!r})
            text = __import__("prometheus_client").generate_latest(claude_otel.get_registry()).decode()
            print([ln for ln in text.splitlines() if ln.startswith("claude_otel_requests_total")])
            """
        )
    )
    exe = Path(sys.executable).with_name("opentelemetry-instrument")
    env = {
        **os.environ,
        "CLAUDE_OTEL_EXTRA_BASE_URLS": double.base_url,
        "OTEL_TRACES_EXPORTER": "none",
        "OTEL_METRICS_EXPORTER": "none",
        "OTEL_LOGS_EXPORTER": "none",
    }
    out = subprocess.run(
        [str(exe), sys.executable, str(app)], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert 'endpoint="messages"' in out.stdout and "1.0" in out.stdout, out.stdout + out.stderr


def test_metrics_endpoint_is_http(instrumented: Any) -> None:
    with urllib.request.urlopen(instrumented.metrics.url, timeout=10) as r:
        assert r.status == 200
        text = r.read().decode()
    assert "# TYPE claude_otel_requests_total counter" in text
    assert 'claude_otel_internal_errors_total{reason="hook_error"} 0.0' in text
