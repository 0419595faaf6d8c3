"""The generated Grafana dashboards: fresh from code, current schema, only the fixed metric names/labels."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from dashboard_queries import load_dashboards, panels, prometheus_queries, substitute
from deploy_support import DASHBOARDS, REPO

DASHBOARD_SET = load_dashboards(DASHBOARDS / "json")

# docs/interfaces.md §2: metric -> labels (histograms carry only `le` on their buckets)
METRIC_LABELS: dict[str, set[str]] = {
    "claude_otel_requests_total": {"endpoint", "model", "client", "predicted", "outcome"},
    "claude_otel_findings_total": {"rule", "severity"},
    "claude_otel_errors_total": {"category", "predicted", "status_class"},
    "claude_otel_request_tool_use_blocks_bucket": {"le"},
    "claude_otel_request_tool_result_blocks_bucket": {"le"},
    "claude_otel_request_messages_bucket": {"le"},
    "claude_otel_request_body_bytes_bucket": {"le"},
    "claude_otel_response_tool_use_blocks_bucket": {"le"},
    "claude_otel_response_stop_reasons_total": {"stop_reason"},
    "claude_otel_streams_total": {"outcome"},
    "claude_otel_internal_errors_total": {"reason"},
    "claude_otel_failures_experienced_total": {"category", "client"},
    "claude_otel_failure_repeats_total": {"category", "client"},
    "claude_otel_stuck_sessions": {"category"},
    "claude_otel_session_recoveries_total": {"category", "via"},
    "claude_otel_tokens_total": {"model", "token_type"},
    "claude_otel_request_input_tokens_bucket": {"le", "model"},
    "claude_otel_operation_duration_seconds_bucket": {"le", "model", "outcome"},
    "claude_otel_time_to_first_token_seconds_bucket": {"le", "model"},
}
FIXED_VALUES: dict[str, set[str]] = {
    "outcome": {"ok", "invalid_request", "rate_limited", "overloaded", "server_error", "client_error"},
    "predicted": {"ok", "warning", "error", "unparsed", "skipped"},
    "status_class": {"4xx", "5xx", "stream"},
    "severity": {"error", "warning"},
    "endpoint": {"messages", "count_tokens"},
    "via": {"retry", "later"},
    "token_type": {"input", "output", "cache_read", "cache_creation"},
}
# labels Prometheus adds to every scraped series (the target's), usable in any grouping
TARGET_LABELS = {"job", "instance"}
SELECTOR = re.compile(r"(claude_otel_[a-z_]+)\{([^}]*)\}")
MATCHER = re.compile(r'([a-z_]+)\s*(=~|!~|!=|=)\s*"([^"]*)"')


def test_committed_json_equals_a_fresh_build() -> None:
    result = subprocess.run(
        [sys.executable, str(DASHBOARDS / "build.py"), "--check"], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_three_dashboards_for_the_three_jobs() -> None:
    titles = {d["title"] for d in DASHBOARD_SET.values()}
    assert titles == {
        "claude-otel / Fleet overview",
        "claude-otel / Shape vs 400 correlation",
        "claude-otel / Incident drill-down",
    }
    correlation = {p["title"] for p in panels(DASHBOARD_SET["claude-otel-correlation"])}
    assert {"Prediction table over time", "Unexplained 400s by category"} <= correlation


@pytest.mark.parametrize("uid", sorted(DASHBOARD_SET))
def test_dashboard_is_provisioning_ready_with_datasource_variables(uid: str) -> None:
    d = DASHBOARD_SET[uid]
    assert d["schemaVersion"] >= 39
    assert "id" not in d, "provisioned dashboards must not pin a database id"
    variables = {v["name"]: v for v in d["templating"]["list"]}
    assert (
        variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    )
    assert variables["traces"]["type"] == "datasource" and variables["traces"]["query"] in {"tempo", "jaeger"}
    allowed = {"${datasource}", "${traces}"}
    if "logs" in variables:  # the incident dashboard's log records (Loki)
        assert variables["logs"]["type"] == "datasource" and variables["logs"]["query"] == "loki"
        allowed.add("${logs}")
    for p in panels(d):
        assert p["datasource"]["uid"] in allowed, p["title"]
        for t in p["targets"]:
            assert t["datasource"]["uid"] == p["datasource"]["uid"], p["title"]
    for v in variables.values():
        if v["type"] == "query":
            assert v["datasource"]["uid"] in allowed, v["name"]


@pytest.mark.parametrize("uid", sorted(DASHBOARD_SET))
def test_every_panel_has_a_description_and_a_place_on_the_grid(uid: str) -> None:
    ids, cells = set(), set()
    for p in DASHBOARD_SET[uid]["panels"]:
        assert p["id"] not in ids
        ids.add(p["id"])
        g = p["gridPos"]
        assert g["x"] >= 0 and g["x"] + g["w"] <= 24, p["title"]
        area = {(x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])}
        assert not area & cells, f"{p['title']} overlaps another panel"
        cells |= area
    for p in panels(DASHBOARD_SET[uid]):
        assert len(p["description"].split()) >= 15, f"{p['title']}: description too short for a newcomer"


@pytest.mark.parametrize("uid", sorted(DASHBOARD_SET))
def test_queries_use_only_the_fixed_metrics_labels_and_values(uid: str) -> None:
    d = DASHBOARD_SET[uid]
    for q in prometheus_queries(d):
        expr = substitute(q.expr, d, rate_interval="1m", interval="1m", range_="1h")
        metrics = set(re.findall(r"claude_otel_[a-z_]+", expr))
        assert metrics and metrics <= set(METRIC_LABELS), f"{q.panel}: {metrics - set(METRIC_LABELS)}"
        allowed = set().union(*(METRIC_LABELS[m] for m in metrics)) | TARGET_LABELS
        for by in re.findall(r"by \(([^)]*)\)", expr):
            assert {x.strip() for x in by.split(",")} <= allowed, f"{q.panel}: grouping by {by}"
        for metric, matchers in SELECTOR.findall(expr):
            for label, op, value in MATCHER.findall(matchers):
                assert label in METRIC_LABELS[metric], f"{q.panel}: {metric} has no label {label}"
                if label in FIXED_VALUES and op in {"=", "!="}:
                    assert value in FIXED_VALUES[label], f"{q.panel}: {label}={value!r} is not a fixed value"


@pytest.mark.parametrize("uid", sorted(DASHBOARD_SET))
def test_exemplars_on_every_range_query_over_counters_and_histograms(uid: str) -> None:
    for p in panels(DASHBOARD_SET[uid]):
        if p["type"] not in {"timeseries", "heatmap"}:
            continue
        for t in p["targets"]:
            if "expr" in t:
                assert t["exemplar"], f"{p['title']} / {t['refId']}: exemplars off"


def test_trace_queries_use_span_attributes_the_instrumentation_sets() -> None:
    attributes = pytest.importorskip("claude_otel.instrumentation.attributes")
    known = {v for k, v in vars(attributes).items() if k.isupper() and isinstance(v, str)}
    found = 0
    for d in DASHBOARD_SET.values():
        for p in panels(d):
            for t in p["targets"]:
                if "query" in t:
                    names = set(re.findall(r"span\.([a-z_.]+[a-z_])", t["query"]))
                    assert names and names <= known, f"{p['title']}: {names - known}"
                    found += 1
    assert found


def test_builder_rejects_panels_a_newcomer_could_not_read() -> None:
    sys.path.insert(0, str(DASHBOARDS))
    try:
        import builder
    finally:
        sys.path.remove(str(DASHBOARDS))
    with pytest.raises(ValueError, match="description"):
        builder.Panel("timeseries", "Requests", "rate", [builder.target("up")]).validate()
    with pytest.raises(ValueError, match="empty PromQL"):
        builder.target("  ")
    with pytest.raises(ValueError, match="width"):
        builder.Panel(
            "stat", "x", "a description that is long enough to pass", [builder.target("up")], width=30
        ).validate()
