"""The incident records in Grafana: the "Incident records" logs panel of the incident dashboard, the Tempo
datasource's trace-to-logs link and the Loki datasource's link back to the trace.

Each LogQL query is parsed with Grafana's own LogQL grammar (npm @grafana/lezer-logql, installed into a
temporary directory) and evaluated, stage by stage, against the log records claude-otel's OTLP exporter
really sends (captured by an OTLP/HTTP receiver on loopback), turned into Loki entries the way Loki 3.x's
OTLP endpoint stores them (pkg/loghttp/push/otlp.go): the 17 default resource attributes as index labels,
every other resource attribute, the scope name and version, the log attributes, severity, trace_id and
span_id as structured metadata (names normalised: dots become underscores), the body as the line. The log
record's event_name is not kept, which is why the panel selects the records by their scope.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from typing import Any

import pytest
import yaml
from dashboard_queries import load_dashboards, panels
from deploy_support import DASHBOARDS, DEPLOY
from forensics_support import CANARY, broken_turn_body, claude_code_headers, good_body
from opentelemetry import trace
from opentelemetry._logs import SeverityNumber
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags
from otlp_support import exporting_over_otlp

pytestmark = pytest.mark.slow

DASHBOARD = load_dashboards(DASHBOARDS / "json")["claude-otel-incident"]
DATASOURCES = {
    d["uid"]: d
    for d in yaml.safe_load((DEPLOY / "grafana/provisioning/datasources/datasources.yml").read_text())[
        "datasources"
    ]
}
ATTEMPTS = 3  # one failure experienced, two repeats (Claude Code-like retries of the same broken turn)
CATEGORY = "tool_result_missing"

# Loki's default `distributor.otlp_config.default_resource_attributes_as_index_labels`
LOKI_INDEX_LABELS = (
    "service.name",
    "service.namespace",
    "service.instance.id",
    "deployment.environment",
    "cloud.region",
    "cloud.availability_zone",
    "k8s.cluster.name",
    "k8s.namespace.name",
    "k8s.pod.name",
    "k8s.container.name",
    "container.name",
    "k8s.replicaset.name",
    "k8s.deployment.name",
    "k8s.statefulset.name",
    "k8s.daemonset.name",
    "k8s.cronjob.name",
    "k8s.job.name",
)

LEZER_DUMP = r"""
const { parser } = require('@grafana/lezer-logql');
const queries = JSON.parse(require('fs').readFileSync(0, 'utf8'));
function node(c, q) {
  const out = { name: c.type.name, error: c.type.isError, text: q.slice(c.from, c.to), children: [] };
  if (c.firstChild()) {
    do { out.children.push(node(c, q)); } while (c.nextSibling());
    c.parent();
  }
  return out;
}
process.stdout.write(JSON.stringify(queries.map((q) => node(parser.parse(q).cursor(), q))));
"""


# -- Grafana's LogQL grammar ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def logql(tmp_path_factory: pytest.TempPathFactory):
    """parse(query) -> the lezer syntax tree of the query, as nested dicts."""
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        pytest.skip(
            "npm is not installed: Grafana's LogQL grammar (@grafana/lezer-logql) cannot be installed"
        )
    prefix = tmp_path_factory.mktemp("lezer-logql")
    result = subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--prefix", str(prefix), "@grafana/lezer-logql"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"npm install @grafana/lezer-logql failed:\n{result.stderr}"
    script = prefix / "dump.cjs"
    script.write_text(LEZER_DUMP)

    def parse(query: str) -> dict[str, Any]:
        out = subprocess.run(
            [node, str(script)], input=json.dumps([query]), capture_output=True, text=True, timeout=60
        )
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)[0]

    return parse


def walk(tree: dict[str, Any]):
    yield tree
    for child in tree["children"]:
        yield from walk(child)


def syntax_errors(tree: dict[str, Any]) -> list[str]:
    return [n["text"] or "<missing>" for n in walk(tree) if n["error"]]


# -- Loki's view of an OTLP log record ------------------------------------------------------------------


@dataclass
class Entry:
    labels: dict[str, str]  # index (stream) labels
    metadata: dict[str, str]  # structured metadata
    line: str
    event_name: str = ""  # what the OTLP record carried (Loki does not keep it)
    ids: dict[str, str] = field(default_factory=dict)


def normalize(name: str) -> str:
    """Prometheus' label name normalisation, as Loki applies it to attribute names."""
    out = re.sub(r"[^a-zA-Z0-9_]", "_", name)
    if out[:1].isdigit():
        out = "key_" + out
    elif out.startswith("_") and not out.startswith("__"):
        out = "key" + out
    return out


def as_string(value: Any) -> str:
    """pcommon.Value.AsString for the attribute value types the SDK sends."""
    kind = value.WhichOneof("value")
    if kind == "string_value":
        return value.string_value
    if kind == "bool_value":
        return "true" if value.bool_value else "false"
    if kind == "int_value":
        return str(value.int_value)
    if kind == "double_value":
        return repr(value.double_value)
    if kind == "array_value":
        return json.dumps([_plain(v) for v in value.array_value.values], separators=(",", ":"))
    if kind is None:
        return ""
    raise AssertionError(f"attribute type {kind} not handled")


def _plain(value: Any) -> Any:
    kind = value.WhichOneof("value")
    return getattr(value, kind) if kind else None


def loki_entries(requests: list[Any]) -> list[Entry]:
    entries = []
    for request in requests:
        for rl in request.resource_logs:
            labels, resource_meta = {}, {}
            for kv in rl.resource.attributes:
                (labels if kv.key in LOKI_INDEX_LABELS else resource_meta)[normalize(kv.key)] = as_string(
                    kv.value
                )
            for sl in rl.scope_logs:
                scope_meta = {normalize(kv.key): as_string(kv.value) for kv in sl.scope.attributes}
                if sl.scope.name:
                    scope_meta["scope_name"] = sl.scope.name
                if sl.scope.version:
                    scope_meta["scope_version"] = sl.scope.version
                for lr in sl.log_records:
                    meta = {normalize(kv.key): as_string(kv.value) for kv in lr.attributes}
                    if lr.time_unix_nano and lr.observed_time_unix_nano:
                        meta["observed_timestamp"] = str(lr.observed_time_unix_nano)
                    if lr.severity_number:
                        meta["severity_number"] = str(lr.severity_number)
                    if lr.severity_text:
                        meta["severity_text"] = lr.severity_text
                    if lr.flags:
                        meta["flags"] = str(lr.flags)
                    if any(lr.trace_id):
                        meta["trace_id"] = lr.trace_id.hex()
                    if any(lr.span_id):
                        meta["span_id"] = lr.span_id.hex()
                    entries.append(
                        Entry(
                            labels=dict(labels),
                            metadata={**meta, **resource_meta, **scope_meta},
                            line=as_string(lr.body),
                            event_name=getattr(lr, "event_name", ""),
                        )
                    )
    return entries


# -- a small evaluator of the LogQL stages the queries use ----------------------------------------------


def _string(node: dict[str, Any]) -> str:
    text = node["text"]
    return text[1:-1] if text.startswith("`") else json.loads(text)


def _matcher(node: dict[str, Any]) -> tuple[str, str, str]:
    kinds = [c["name"] for c in node["children"]]
    assert kinds[0] == "Identifier" and kinds[2] == "String" and len(kinds) == 3, node["text"]
    return node["children"][0]["text"], node["children"][1]["text"], _string(node["children"][2])


def _matches(value: str, op: str, want: str) -> bool:
    if op == "=":
        return value == want
    if op == "!=":
        return value != want
    if op == "=~":
        return re.fullmatch(want, value) is not None  # Loki anchors its regular expressions
    if op == "!~":
        return re.fullmatch(want, value) is None
    raise AssertionError(f"operator {op}")


@dataclass
class Plan:
    selector: list[tuple[str, str, str]]
    stages: list[tuple[str, Any]]  # ("label_filter", matcher) | ("json", None) | ("logfmt", None)


def plan(tree: dict[str, Any]) -> Plan:
    """The stream selector and pipeline stages of a log query; anything else is not supported here."""
    assert tree["name"] == "LogQL" and not syntax_errors(tree)
    (expr,) = tree["children"]
    (log_expr,) = expr["children"]
    assert log_expr["name"] == "LogExpr", f"not a log query: {tree['text']}"
    selector, stages = None, []
    for child in log_expr["children"]:
        if child["name"] == "Selector":
            (matchers,) = [c for c in child["children"] if c["name"] == "Matchers"]
            selector = [_matcher(m) for m in matchers["children"] if m["name"] == "Matcher"]
        elif child["name"] == "PipelineExpr":
            stages = [_stage(s) for s in walk(child) if s["name"] == "PipelineStage"]
        else:
            raise AssertionError(f"unsupported part {child['name']}: {child['text']}")
    assert selector, tree["text"]
    return Plan(selector, stages)


def _stage(node: dict[str, Any]) -> tuple[str, Any]:
    body = [c for c in node["children"] if c["name"] != "Pipe"]
    assert len(body) == 1, node["text"]
    (stage,) = body
    if stage["name"] == "LabelFilter":
        (inner,) = stage["children"]
        assert inner["name"] == "Matcher", f"unsupported label filter {stage['text']}"
        return "label_filter", _matcher(inner)
    if (
        stage["name"] == "LabelParser"
        and stage["children"][0]["name"] == "Json"
        and len(stage["children"]) == 1
    ):
        return "json", None
    if stage["name"] == "LogfmtParser" and len(stage["children"]) == 1:
        return "logfmt", None
    raise AssertionError(f"pipeline stage not supported by this evaluator: {node['text']}")


def select(p: Plan, entries: list[Entry]) -> list[Entry]:
    out = []
    for e in entries:
        if not all(_matches(e.labels.get(k, ""), op, v) for k, op, v in p.selector):
            continue
        fields = {**e.labels, **e.metadata}
        keep = True
        for kind, arg in p.stages:
            if kind == "json":
                try:
                    parsed = json.loads(e.line)
                except ValueError:
                    parsed = {}
                    fields["__error__"] = "JSONParserErr"
                fields.update({normalize(k): str(v) for k, v in _flatten(parsed).items()})
            elif kind == "logfmt":
                fields.update(dict(re.findall(r'(\w+)=("(?:[^"\\]|\\.)*"|\S*)', e.line)))
            else:
                k, op, v = arg
                if not _matches(fields.get(k, ""), op, v):
                    keep = False
                    break
        if keep:
            out.append(e)
    return out


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(value, dict):
        return {prefix: value} if prefix else {}
    out: dict[str, Any] = {}
    for k, v in value.items():
        out.update(_flatten(v, f"{prefix}_{k}" if prefix else k))
    return out


def loki_accepts_selector(p: Plan) -> bool:
    """Loki refuses a selector whose matchers all match the empty string."""
    return any(not _matches("", op, v) for _k, op, v in p.selector)


# -- the records claude-otel really exports -------------------------------------------------------------


@dataclass
class Exported:
    entries: list[Entry]
    incidents: list[Entry]  # the entries of the claude_otel.incident records
    responses: list[Entry]  # the claude_otel.response records of the 2xx answers (another scope)
    stream_error: Entry  # the incident of a 200 whose stream ended with `event: error`
    app: Entry  # a log record of the application, on the trace of the first incident
    spans: dict[str, Any]  # span id -> the HTTP client span of the attempt
    resource: dict[str, str]  # the spans' resource attributes
    raw: list[bytes]


@pytest.fixture(scope="module")
def exported() -> Exported:
    with exporting_over_otlp() as run:
        for _ in range(ATTEMPTS):
            r = run.client.post(
                run.base_url + "/v1/messages", json=broken_turn_body(), headers=claude_code_headers()
            )
            assert r.status_code == 400
        # a 200 whose stream carries `event: error` (an incident and a response record on one trace), and
        # a plain success (a response record only)
        streamed = {**good_body(), "stream": True}
        fault = {**claude_code_headers(), "x-mock-fault": "stream_error"}
        with run.client.stream("POST", run.base_url + "/v1/messages", json=streamed, headers=fault) as r:
            assert r.status_code == 200 and b"event: error" in r.read()
        r = run.client.post(run.base_url + "/v1/messages", json=good_body(), headers=claude_code_headers())
        assert r.status_code == 200
        http_spans = run.http_spans()
        first = min(http_spans.values(), key=lambda s: s.start_time)
        assert len(http_spans) == ATTEMPTS + 2
        # the application's own log line on the same trace, through the same pipeline
        ctx = trace.set_span_in_context(
            NonRecordingSpan(
                SpanContext(first.context.trace_id, 0x1234, False, TraceFlags(TraceFlags.SAMPLED))
            )
        )
        run.provider.get_logger("my_agent.tools").emit(
            context=ctx,
            severity_number=SeverityNumber.INFO,
            body="tool Read finished",
            attributes={"tool": "Read"},
        )
    receiver = run.receiver
    entries = loki_entries(receiver.requests)
    incidents = [e for e in entries if e.event_name == "claude_otel.incident"]
    responses = [e for e in entries if e.event_name == "claude_otel.response"]
    (stream_error,) = [e for e in incidents if e.metadata["claude_otel_incident_kind"] == "stream_error"]
    (app,) = [e for e in entries if e.metadata.get("scope_name") == "my_agent.tools"]
    resource = {k: str(v) for k, v in first.resource.attributes.items()}
    return Exported(entries, incidents, responses, stream_error, app, http_spans, resource, receiver.raw)


# -- the tests --------------------------------------------------------------------------------------------


def _panel() -> dict[str, Any]:
    (panel,) = [p for p in panels(DASHBOARD) if p["title"] == "Incident records"]
    return panel


def _variables() -> dict[str, dict[str, Any]]:
    return {v["name"]: v for v in DASHBOARD["templating"]["list"]}


def _interpolate(expr: str, **values: str) -> str:
    """Grafana's substitution of the dashboard variables: a value given here, else the variable's "All"."""
    for name, var in sorted(_variables().items(), key=lambda kv: -len(kv[0])):
        if var["type"] == "query":
            value = values.get(name, var.get("allValue") or ".*")
            expr = expr.replace("${" + name + "}", value).replace("$" + name, value)
    assert "$" not in expr, f"unsubstituted variable in {expr!r}"
    return expr


def test_the_exporter_sends_what_the_panel_relies_on(exported: Exported) -> None:
    assert len(exported.incidents) == ATTEMPTS + 1
    categories = sorted(e.metadata["claude_otel_incident_category"] for e in exported.incidents)
    assert categories == ["overloaded"] + [CATEGORY] * ATTEMPTS
    assert len(exported.responses) == 2  # the stream that failed and the success
    assert {e.metadata["scope_name"] for e in exported.responses} == {"claude_otel"}
    for e in exported.incidents:
        assert e.labels["service_name"] == "claude-otel-proxy"
        assert e.metadata["scope_name"] == "claude_otel.incidents"
        assert e.metadata["span_id"] in exported.spans
        assert e.metadata["trace_id"] == format(
            exported.spans[e.metadata["span_id"]].context.trace_id, "032x"
        )
        assert e.line.startswith("claude-otel incident ")
        assert "event_name" not in e.labels and "event_name" not in e.metadata  # Loki does not keep it
    assert all(CANARY.encode() not in raw for raw in exported.raw)


def test_incident_panel_is_valid_logql_selecting_exactly_the_incident_records(logql, exported) -> None:
    panel = _panel()
    assert panel["type"] == "logs" and panel["datasource"] == {"type": "loki", "uid": "${logs}"}
    variables = _variables()
    assert variables["logs"]["type"] == "datasource" and variables["logs"]["query"] == "loki"
    (target,) = panel["targets"]
    all_plan = plan(logql(_interpolate(target["expr"])))
    assert loki_accepts_selector(all_plan), "Loki refuses a selector that matches the empty string"
    selected = select(all_plan, exported.entries)
    assert selected == exported.incidents  # not the response records, not the application's lines

    cases = {
        (("service", "claude-otel-proxy"), ("category", CATEGORY)): ATTEMPTS,
        (("category", "overloaded"),): 1,
        (("service", "claude-otel-demo"),): 0,
        (("category", "rate_limit"),): 0,
        (("category", f"(rate_limit|{CATEGORY})"),): ATTEMPTS,  # Grafana's multi-value format
    }
    for values, want in cases.items():
        p = plan(logql(_interpolate(target["expr"], **dict(values))))
        assert loki_accepts_selector(p)
        assert len(select(p, exported.entries)) == want, values


def test_the_service_variable_lists_a_stream_label(exported: Exported) -> None:
    var = _variables()["service"]
    assert var["datasource"] == {"type": "loki", "uid": "${logs}"}
    # label_values() on Loki lists index labels only: structured metadata would leave the list empty
    assert var["query"]["label"] == "service_name"
    assert all("service_name" in e.labels for e in exported.incidents)
    assert var["allValue"] == ".+"


def test_the_event_name_filter_would_find_nothing(logql, exported: Exported) -> None:
    """Why the panel selects by scope: the records carry event_name over OTLP, but Loki drops it."""
    assert {e.event_name for e in exported.incidents} == {"claude_otel.incident"}
    p = plan(logql('{service_name=~".+"} | event_name="claude_otel.incident"'))
    assert select(p, exported.entries) == []


def test_the_grammar_and_the_evaluator_can_fail(logql, exported: Exported) -> None:
    assert syntax_errors(logql('{service_name=~".+"} | scope_name="claude_otel.incidents'))
    assert syntax_errors(logql('{service_name=~".+"} |'))
    with pytest.raises(AssertionError):
        plan(logql('sum(count_over_time({service_name=~".+"}[5m]))'))
    assert not loki_accepts_selector(plan(logql('{service_name=~".*"}')))
    json_plan = plan(logql('{service_name=~".+"} | json | scope_name="claude_otel.incidents"'))
    assert [kind for kind, _ in json_plan.stages] == ["json", "label_filter"]
    assert select(json_plan, exported.entries) == exported.incidents


def test_trace_to_logs_opens_the_records_of_the_span_trace(logql, exported: Exported) -> None:
    tempo = DATASOURCES["tempo"]["jsonData"]["tracesToLogsV2"]
    assert DATASOURCES[tempo["datasourceUid"]]["type"] == "loki"
    assert tempo["customQuery"] is True
    query = tempo["query"].replace("$$", "$")  # provisioning's escape of "$"
    tags = []
    for tag in tempo["tags"]:
        value = exported.resource[tag["key"]]
        tags.append(f'{tag.get("value") or tag["key"]}="{value}"')

    def logs_for_span(incident: Entry) -> list[Entry]:
        span = exported.spans[incident.metadata["span_id"]]
        trace_id = format(span.context.trace_id, "032x")
        interpolated = query.replace("${__tags}", ", ".join(tags)).replace("${__trace.traceId}", trace_id)
        assert "$" not in interpolated, interpolated
        p = plan(logql(interpolated))
        assert loki_accepts_selector(p)
        selected = select(p, exported.entries)
        assert selected == [e for e in exported.entries if e.metadata.get("trace_id") == trace_id]
        return selected

    # the first 400: its packet and the application's line on the same trace
    (first,) = [e for e in exported.incidents if e.metadata["trace_id"] == exported.app.metadata["trace_id"]]
    assert set(map(id, logs_for_span(first))) == {id(first), id(exported.app)}
    # the stream that failed after its 200: its packet and its response record, nothing of other traces
    (response,) = [
        r for r in exported.responses if r.metadata["trace_id"] == exported.stream_error.metadata["trace_id"]
    ]
    assert set(map(id, logs_for_span(exported.stream_error))) == {id(exported.stream_error), id(response)}


def test_loki_links_a_record_to_its_trace(exported: Exported) -> None:
    (field_,) = DATASOURCES["loki"]["jsonData"]["derivedFields"]
    assert DATASOURCES[field_["datasourceUid"]]["type"] == "tempo"
    assert field_["matcherType"] == "label"  # structured metadata, not a regex over the line
    assert field_["url"].replace("$$", "$") == "${__value.raw}"
    for e in exported.incidents:
        value = e.metadata[field_["matcherRegex"]]
        assert value not in e.line
        assert value == format(exported.spans[e.metadata["span_id"]].context.trace_id, "032x")
