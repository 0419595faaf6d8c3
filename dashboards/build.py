"""Generate the claude-otel Grafana dashboards: `python dashboards/build.py` rewrites dashboards/json/.

`python dashboards/build.py --check` exits 1 if a committed JSON file differs from a fresh build.
Queries use only the metric names and labels fixed in docs/interfaces.md §2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from builder import (
    LOGS,
    TRACES,
    Dashboard,
    Panel,
    Row,
    datasource_variable,
    label_variable,
    logql_target,
    loki_label_variable,
    render,
    target,
    traceql_target,
)

OUT_DIR = Path(__file__).resolve().parent / "json"

REQ = "claude_otel_requests_total"
SEL = 'model=~"$model",client=~"$client"'
RI = "$__rate_interval"
INVALID = 'outcome="invalid_request"'
PRED_ERR = 'predicted="error"'

PAIRING_RULES = (
    "tool_result_missing|tool_result_not_first|tool_use_not_trailing|tool_result_orphan|"
    "tool_result_in_assistant|tool_use_in_user|tool_use_id_duplicate|tool_result_duplicate|"
    "tool_results_split|thread_results_mismatch|mixed_client_server_batch"
)
CONTAINER_RULES = "container_required|container_mismatch"
DEFERRED_RULES = "tool_reference_unknown|all_tools_deferred|defer_loading_not_accepted"
# error categories of 4xx answers that are not HTTP 400 (429, 401, 403, 404, 402, 413, ...)
NOT_400 = (
    "rate_limit|overloaded|server_error|authentication|permission|not_found|billing|"
    "request_too_large|timeout|connection"
)
HTTP_400 = f'status_class="4xx",category!~"{NOT_400}"'


def _vars_common() -> list[dict]:
    return [
        datasource_variable("datasource", "Prometheus", "prometheus"),
        datasource_variable("traces", "Traces (Tempo)", "tempo"),
        label_variable("model", "Model", REQ, "model"),
        label_variable("client", "Client surface", REQ, "client"),
    ]


def _req(extra: str = "") -> str:
    return f"{REQ}{{{SEL}{',' + extra if extra else ''}}}"


def _rate(extra: str = "", by: str = "") -> str:
    grouping = f" by ({by})" if by else ""
    return f"sum{grouping} (rate({_req(extra)}[{RI}]))"


def _share(extra: str, by: str = "", window: str = RI) -> str:
    grouping = f" by ({by})" if by else ""
    return f"sum{grouping} (rate({_req(extra)}[{window}]))\n/ sum{grouping} (rate({_req()}[{window}]))"


def fleet_overview() -> Dashboard:
    traffic = Row(
        "Traffic and failures",
        [
            Panel(
                "timeseries",
                "Requests, HTTP 400s and requests with error findings",
                "Requests per second the fleet sends to the Messages API, how many of them came back HTTP "
                "400 (invalid_request), and how many carried at least one error-severity finding before "
                "they were sent (claude-otel predicted a 400). On one time axis: when the three lines move "
                "together, the findings explain the 400s.",
                [
                    target(_rate(), "requests/s", exemplar=True),
                    target(_rate('outcome="invalid_request"'), "HTTP 400/s", exemplar=True),
                    target(_rate('predicted="error"'), "with error findings/s", exemplar=True),
                ],
                width=16,
                unit="reqps",
            ),
            Panel(
                "stat",
                "HTTP 400 share",
                "Fraction of requests in the selected time range that the API rejected with HTTP 400. "
                "A healthy agent fleet stays close to zero; the 400 rate alert fires above 10%.",
                [target(_share('outcome="invalid_request"', window="$__range"), "400 share", instant=True)],
                width=4,
                unit="percentunit",
            ),
            Panel(
                "stat",
                "Predicted-400 share",
                "Fraction of requests in the selected time range whose shape had an error-severity "
                "finding, i.e. requests claude-otel expected the API to reject before they were sent.",
                [target(_share('predicted="error"', window="$__range"), "predicted share", instant=True)],
                width=4,
                unit="percentunit",
            ),
            Panel(
                "timeseries",
                "400 share and predicted-400 share",
                "Share of requests answered HTTP 400 next to the share predicted to fail, over time. A gap "
                "where the 400 share is higher means 400s the shape rules do not explain (see the "
                "correlation dashboard).",
                [
                    target(_share('outcome="invalid_request"'), "400 share"),
                    target(_share('predicted="error"'), "predicted-400 share"),
                ],
                width=12,
                unit="percentunit",
            ),
            Panel(
                "timeseries",
                "Non-400 failures by outcome",
                "Requests per second that failed for other reasons than a bad request shape: rate limits "
                "(429), overload (529), server errors (5xx) and other client errors. These are not the "
                "agent's fault and are shown to separate them from the 400s. The proxy's own answers show "
                "here too: upstream_unreachable (502, the upstream refused or closed the connection), "
                "upstream_timeout (504), proxy_refused (413/503 from the proxy's limits), proxy_error; an "
                "upstream outage is a wall of upstream_unreachable (alert ClaudeOtelUpstreamDown).",
                [target(_rate('outcome!~"ok|invalid_request"', "outcome"), "{{outcome}}", exemplar=True)],
                width=12,
                unit="reqps",
                stacked=True,
            ),
        ],
    )
    why = Row(
        "Why requests fail",
        [
            Panel(
                "timeseries",
                "400s by category",
                "HTTP 400 responses per second, grouped by the category the classifier read from the "
                "API's error message (for example tool_result_missing, prompt_too_long). The category "
                "names the rule in the runbook and in `claude-otel rules`.",
                [
                    target(
                        f"sum by (category) (rate(claude_otel_errors_total{{{HTTP_400}}}[{RI}]))",
                        "{{category}}",
                        exemplar=True,
                    )
                ],
                unit="reqps",
                stacked=True,
            ),
            Panel(
                "timeseries",
                "Findings by rule",
                "Requests per second in which a shape rule fired, by rule and severity (each rule counts "
                "once per request). Error findings predict a 400; warnings are risky shapes the API "
                "usually accepts.",
                [
                    target(
                        f"sum by (rule, severity) (rate(claude_otel_findings_total[{RI}]))",
                        "{{rule}} ({{severity}})",
                        exemplar=True,
                    )
                ],
                unit="reqps",
                stacked=True,
            ),
        ],
    )
    split = Row(
        "By model and client surface",
        [
            Panel(
                "timeseries",
                "Requests by model",
                "Requests per second by model family (bounded label: a known family, 'other' or 'none'). "
                "Use it to see whether a failure spike follows a model migration.",
                [target(_rate(by="model"), "{{model}}", exemplar=True)],
                width=8,
                unit="reqps",
                stacked=True,
            ),
            Panel(
                "timeseries",
                "400 share by model",
                "Share of each model family's requests answered HTTP 400. Model-gated parameters (thinking "
                "types, max_tokens caps) make one family fail while the others are fine.",
                [target(_share('outcome="invalid_request"', by="model"), "{{model}}")],
                width=8,
                unit="percentunit",
            ),
            Panel(
                "table",
                "Requests and 400s by model",
                "Totals over the selected time range per model family: all requests, HTTP 400s and "
                "requests predicted to fail. Sort a column to find the family that contributes most.",
                [
                    target(
                        f"sum by (model) (increase({_req()}[$__range]))",
                        "requests",
                        instant=True,
                        fmt="table",
                    ),
                    target(
                        f"sum by (model) (increase({_req(INVALID)}[$__range]))",
                        "400s",
                        instant=True,
                        fmt="table",
                    ),
                ],
                columns={"Value #A": "requests", "Value #B": "HTTP 400s"},
                width=8,
            ),
            Panel(
                "timeseries",
                "Requests by client surface",
                "Requests per second by client surface (which SDK or HTTP client sent them). A framework "
                "upgrade on one surface often shows here first.",
                [target(_rate(by="client"), "{{client}}", exemplar=True)],
                width=12,
                unit="reqps",
                stacked=True,
            ),
            Panel(
                "timeseries",
                "400 share by client surface",
                "Share of each client surface's requests answered HTTP 400. A surface far above the others "
                "usually has a history-handling bug (dropped tool_result, edited thinking).",
                [target(_share('outcome="invalid_request"', by="client"), "{{client}}")],
                width=12,
                unit="percentunit",
            ),
        ],
    )
    responses = Row(
        "Responses and exporter health",
        [
            Panel(
                "timeseries",
                "Stop reasons",
                "Responses per second by stop_reason. tool_use means the agent must answer with "
                "tool_result blocks next turn; pause_turn means it must resend the assistant content as is.",
                [
                    target(
                        f"sum by (stop_reason) (rate(claude_otel_response_stop_reasons_total[{RI}]))",
                        "{{stop_reason}}",
                        exemplar=True,
                    )
                ],
                width=8,
                unit="reqps",
                stacked=True,
            ),
            Panel(
                "timeseries",
                "Streams by outcome",
                "Streaming responses per second: completed, ended by an SSE error event (an HTTP 200 that "
                "still failed), or cut off before message_stop.",
                [
                    target(
                        f"sum by (outcome) (rate(claude_otel_streams_total[{RI}]))",
                        "{{outcome}}",
                        exemplar=True,
                    )
                ],
                width=8,
                unit="reqps",
                stacked=True,
            ),
            Panel(
                "timeseries",
                "Exporter internal errors",
                "Errors claude-otel caught inside itself, by reason. The application is never affected, "
                "but requests behind these errors are missing from the other panels. Should stay empty.",
                [
                    target(
                        f"sum by (reason) (rate(claude_otel_internal_errors_total[{RI}]))",
                        "{{reason}}",
                    )
                ],
                width=8,
                unit="short",
            ),
        ],
    )
    return Dashboard(
        uid="claude-otel-fleet",
        title="claude-otel / Fleet overview",
        description="Request rate, HTTP 400s and shape findings of an agent fleet using the Messages API.",
        rows=[traffic, why, split, responses],
        variables=_vars_common(),
    )


def _hist_quantiles(metric: str, what: str) -> list[dict]:
    return [
        target(
            f"histogram_quantile({q}, sum by (le) (rate({metric}_bucket[{RI}])))",
            f"p{int(q * 100)} {what}",
            exemplar=True,
        )
        for q in (0.5, 0.95, 0.99)
    ]


TOK = "claude_otel_tokens_total"
MSEL = 'model=~"$model"'


def _tokens_and_latency() -> Row:
    """Tokens, context size and latency (genai.py's series) next to the 400 categories."""
    context_p95 = (
        "histogram_quantile(0.95, sum by (le) "
        f"(rate(claude_otel_request_input_tokens_bucket{{{MSEL}}}[{RI}])))"
    )
    return Row(
        "Tokens, context size and latency",
        [
            Panel(
                "timeseries",
                "Tokens per second by type, next to 400s by category",
                "Tokens the responses' usage reports (input without the cache, output, cache reads, cache "
                "writes) on the left, HTTP 400s per second by category on the right: a context that grows "
                "until requests fail shows as rising input and cache tokens before prompt_too_long 400s.",
                [
                    target(
                        f"sum by (token_type) (rate({TOK}{{{MSEL}}}[{RI}]))", "{{token_type}}", exemplar=True
                    ),
                    target(
                        f"sum by (category) (rate(claude_otel_errors_total{{{HTTP_400}}}[{RI}]))",
                        "400: {{category}}",
                        exemplar=True,
                    ),
                ],
                width=12,
                unit="short",
            ),
            Panel(
                "timeseries",
                "prompt_too_long against context size",
                "The 95th percentile of the context a successful request carried (input plus cache read "
                "and cache creation tokens) next to the rate of HTTP 400 prompt_too_long answers (times "
                "1000, to share the axis). When the p95 context nears the model's window the 400s begin.",
                [
                    target(context_p95, "p95 context tokens", exemplar=True),
                    target(
                        f'1000 * sum(rate(claude_otel_errors_total{{category="prompt_too_long"}}[{RI}]))',
                        "prompt_too_long 400/s x 1000",
                        exemplar=True,
                    ),
                ],
                width=12,
                unit="short",
            ),
            Panel(
                "timeseries",
                "Cache hit ratio by model",
                "Share of each model family's input context read from the prompt cache: cache_read over "
                "input + cache_read + cache_creation tokens. A drop means the prefix changed between turns "
                "(rewritten history, moved cache_control) and every turn pays for the whole context again.",
                [
                    target(
                        f'sum by (model) (rate({TOK}{{{MSEL},token_type="cache_read"}}[{RI}]))\n'
                        f"/ sum by (model) (rate({TOK}"
                        f'{{{MSEL},token_type=~"input|cache_read|cache_creation"}}[{RI}]))',
                        "{{model}}",
                        exemplar=True,
                    )
                ],
                width=8,
                unit="percentunit",
            ),
            Panel(
                "timeseries",
                "Time to first token by model (p95)",
                "Streams only: the 95th percentile of the time from sending the request to the first "
                "content delta the application read, per model family. Rising while the 400 rate is flat "
                "points at the API, not at request shape.",
                [
                    target(
                        "histogram_quantile(0.95, sum by (le, model) "
                        f"(rate(claude_otel_time_to_first_token_seconds_bucket{{{MSEL}}}[{RI}])))",
                        "{{model}}",
                        exemplar=True,
                    )
                ],
                width=8,
                unit="s",
            ),
            Panel(
                "timeseries",
                "Operation duration by model and outcome (p95)",
                "The 95th percentile of a whole call per model family and outcome: from sending the "
                "request to the end of the body the application read (errors: to the response).",
                [
                    target(
                        "histogram_quantile(0.95, sum by (le, model, outcome) "
                        f"(rate(claude_otel_operation_duration_seconds_bucket{{{MSEL}}}[{RI}])))",
                        "{{model}} {{outcome}}",
                        exemplar=True,
                    )
                ],
                width=8,
                unit="s",
            ),
        ],
    )


def correlation() -> Dashboard:
    table = Row(
        "Prediction table",
        [
            Panel(
                "timeseries",
                "Prediction table over time",
                "The three cells of the prediction table per second. Predicted and failed: claude-otel "
                "flagged an error and the API answered 400. Predicted but succeeded: a flagged request "
                "went through (a rule may be too strict). Failed but not predicted: the unexplained 400s.",
                [
                    target(
                        _rate('outcome="invalid_request",predicted="error"'),
                        "predicted and failed",
                        exemplar=True,
                    ),
                    target(_rate('outcome="ok",predicted="error"'), "predicted but succeeded", exemplar=True),
                    target(
                        _rate('outcome="invalid_request",predicted!="error"'),
                        "failed but not predicted",
                        exemplar=True,
                    ),
                ],
                width=12,
                unit="reqps",
            ),
            Panel(
                "table",
                "Prediction table (selected range)",
                "Request counts over the selected time range for every combination of prediction (ok, "
                "warning, error, unparsed, skipped) and outcome (ok, invalid_request, rate_limited, ...).",
                [
                    target(
                        f"sum by (predicted, outcome) (increase({_req()}[$__range]))",
                        "",
                        instant=True,
                        fmt="table",
                    )
                ],
                columns={"Value": "requests"},
                width=6,
            ),
            Panel(
                "stat",
                "Precision of error predictions",
                "Of the requests claude-otel predicted to fail, the fraction that really came back HTTP "
                "400 in the selected range. Low precision means a rule is stricter than the API.",
                [
                    target(
                        f"sum(increase({_req(PRED_ERR + ',' + INVALID)}[$__range]))\n"
                        f"/ sum(increase({_req(PRED_ERR)}[$__range]))",
                        "precision",
                        instant=True,
                    )
                ],
                width=3,
                unit="percentunit",
            ),
            Panel(
                "stat",
                "400s explained by a prediction",
                "Of the HTTP 400s in the selected range, the fraction that claude-otel predicted from the "
                "request shape (recall). The rest are the unexplained 400s below.",
                [
                    target(
                        f"sum(increase({_req(PRED_ERR + ',' + INVALID)}[$__range]))\n"
                        f"/ sum(increase({_req(INVALID)}[$__range]))",
                        "recall",
                        instant=True,
                    )
                ],
                width=3,
                unit="percentunit",
            ),
        ],
    )
    unexplained = Row(
        "Unexplained 400s",
        [
            Panel(
                "timeseries",
                "Unexplained 400s by category",
                "HTTP 400s that claude-otel did not predict, by the category read from the API's error "
                "message. New failure modes (API changes, new betas, proxies that rewrite bodies) appear "
                "here first; 'unclassified' or 'invalid_request_other' means a message nobody has seen yet.",
                [
                    target(
                        "sum by (category) (rate(claude_otel_errors_total"
                        f'{{{HTTP_400},predicted!="error"}}[{RI}]))',
                        "{{category}}",
                        exemplar=True,
                    )
                ],
                width=12,
                unit="reqps",
                stacked=True,
            ),
            Panel(
                "timeseries",
                "Unexplained 400s by model and client",
                "The same unexplained 400s split by model family and client surface, to tell a new API "
                "rule for one model from a client that rewrites requests.",
                [
                    target(
                        _rate('outcome="invalid_request",predicted!="error"', "model, client"),
                        "{{model}} / {{client}}",
                        exemplar=True,
                    )
                ],
                width=12,
                unit="reqps",
                stacked=True,
            ),
        ],
    )
    dist = Row(
        "Tool use shape",
        [
            Panel(
                "heatmap",
                "tool_use blocks per request",
                "Distribution of client tool_use blocks in each request's history (heatmap of histogram "
                "buckets). Long tool loops and large parallel batches are where pairing bugs happen.",
                [
                    target(
                        f"sum by (le) (increase(claude_otel_request_tool_use_blocks_bucket[{RI}]))",
                        "{{le}}",
                        fmt="heatmap",
                        exemplar=True,
                    )
                ],
                width=8,
            ),
            Panel(
                "heatmap",
                "tool_result blocks per request",
                "Distribution of tool_result blocks in each request's history. It should track the "
                "tool_use heatmap; a lasting gap means results are being dropped.",
                [
                    target(
                        f"sum by (le) (increase(claude_otel_request_tool_result_blocks_bucket[{RI}]))",
                        "{{le}}",
                        fmt="heatmap",
                        exemplar=True,
                    )
                ],
                width=8,
            ),
            Panel(
                "timeseries",
                "tool_use vs tool_result per request (p50/p95)",
                "Median and 95th percentile of tool_use and tool_result blocks per request. In a healthy "
                "loop both percentiles move together.",
                [
                    *_hist_quantiles("claude_otel_request_tool_use_blocks", "tool_use")[:2],
                    *_hist_quantiles("claude_otel_request_tool_result_blocks", "tool_result")[:2],
                ],
                width=8,
            ),
            Panel(
                "timeseries",
                "Messages per request",
                "Percentiles of the number of messages per request: how long the conversations the fleet "
                "replays are. Very long histories are truncated by agents, which can orphan a tool_result.",
                _hist_quantiles("claude_otel_request_messages", "messages"),
                width=8,
            ),
            Panel(
                "timeseries",
                "Request body size",
                "Percentiles of the request body size in bytes. The API rejects bodies over 32 MB with 413 "
                "and images over 5 MB with 400.",
                _hist_quantiles("claude_otel_request_body_bytes", "body"),
                width=8,
                unit="bytes",
            ),
            Panel(
                "timeseries",
                "tool_use blocks per response",
                "Percentiles of tool_use blocks the API returned per response: the parallel tool calls the "
                "agent must answer, all of them, at the start of the next user message.",
                _hist_quantiles("claude_otel_response_tool_use_blocks", "response tool_use"),
                width=8,
            ),
        ],
    )
    state = Row(
        "Containers and deferred tools",
        [
            Panel(
                "timeseries",
                "Container findings",
                "Requests per second that dropped the code-execution container of the previous response "
                "(container_required) or named another one (container_mismatch). Both come back 400.",
                [
                    target(
                        "sum by (rule) (rate(claude_otel_findings_total"
                        f'{{rule=~"{CONTAINER_RULES}"}}[{RI}]))',
                        "{{rule}}",
                        exemplar=True,
                    )
                ],
                width=8,
                unit="reqps",
            ),
            Panel(
                "timeseries",
                "Deferred-tool findings",
                "Requests per second referencing a deferred tool that is no longer in tools[], deferring "
                "every tool, or sending defer_loading without the beta.",
                [
                    target(
                        f'sum by (rule) (rate(claude_otel_findings_total{{rule=~"{DEFERRED_RULES}"}}[{RI}]))',
                        "{{rule}}",
                        exemplar=True,
                    )
                ],
                width=8,
                unit="reqps",
            ),
            Panel(
                "timeseries",
                "Container and deferred-tool 400s",
                "HTTP 400s per second whose error message names a container or deferred-tool problem, "
                "split by whether claude-otel predicted them.",
                [
                    target(
                        "sum by (category, predicted) (rate(claude_otel_errors_total"
                        f'{{category=~"{CONTAINER_RULES}|{DEFERRED_RULES}"}}[{RI}]))',
                        "{{category}} (predicted {{predicted}})",
                        exemplar=True,
                    )
                ],
                width=8,
                unit="reqps",
            ),
        ],
    )
    tokens = _tokens_and_latency()
    return Dashboard(
        uid="claude-otel-correlation",
        title="claude-otel / Shape vs 400 correlation",
        description=(
            "How well request-shape findings predict the HTTP 400s that come back, and where they do not."
        ),
        rows=[table, unexplained, dist, state, tokens],
        variables=_vars_common(),
    )


# TraceQL over the span attributes the instrumentation sets (claude_otel/instrumentation/attributes.py)
FAILED_SPANS = (
    '{ span.gen_ai.provider.name = "anthropic" && span.claude_otel.outcome = "invalid_request"'
    ' && span.claude_otel.error.category =~ "$category" }'
    " | select(span.claude_otel.request_id, span.claude_otel.error.category, span.claude_otel.predicted,"
    " span.claude_otel.rules, span.gen_ai.request.model)"
)

# The incident records as Loki keeps them after OTLP ingestion (Loki 3.x, pkg/loghttp/push/otlp.go):
# service.name becomes the index label service_name; the instrumentation scope name, the log attributes
# (dots turned into underscores: claude_otel.incident.category -> claude_otel_incident_category), trace_id
# and span_id become structured metadata; the log record's event_name is not kept, so the records are
# found by their scope (claude_otel/incidents/recorder.py logs under "claude_otel.incidents").
INCIDENT_SCOPE = "claude_otel.incidents"
INCIDENT_LOGS = (
    f'{{service_name=~"$service"}} | scope_name="{INCIDENT_SCOPE}"'
    ' | claude_otel_incident_category=~"$category"'
)


def incident() -> Dashboard:
    variables = [
        *_vars_common(),
        datasource_variable("logs", "Logs (Loki)", "loki"),
        label_variable("rule", "Finding rule", "claude_otel_findings_total", "rule"),
        label_variable("category", "400 category", "claude_otel_errors_total", "category"),
        loki_label_variable("service", "Service (logs)", "service_name"),
    ]
    focus = Row(
        "Selected rule and category",
        [
            Panel(
                "timeseries",
                "Findings for the selected rules",
                "Requests per second in which the selected rules fired. The dots are exemplars: hover one "
                "to see the trace_id (and request id, when the exporter attached it) of a real request, "
                "click it to open the trace in the selected trace datasource.",
                [
                    target(
                        f'sum by (rule, severity) (rate(claude_otel_findings_total{{rule=~"$rule"}}[{RI}]))',
                        "{{rule}} ({{severity}})",
                        exemplar=True,
                    )
                ],
                unit="reqps",
            ),
            Panel(
                "timeseries",
                "Failures for the selected categories",
                "Failed responses per second in the selected error categories, split by status class "
                "(4xx, 5xx, or an error event inside an HTTP 200 stream) and by whether they were "
                "predicted. Exemplar dots link each failure to its trace.",
                [
                    target(
                        "sum by (category, status_class, predicted) (rate(claude_otel_errors_total"
                        f'{{category=~"$category"}}[{RI}]))',
                        "{{category}} {{status_class}} (predicted {{predicted}})",
                        exemplar=True,
                    )
                ],
                unit="reqps",
            ),
            Panel(
                "bargauge",
                "Top rules in range",
                "The ten rules that fired in the most requests during the selected time range. Start the "
                "investigation with the top bar; the runbook has a section for each alert.",
                [
                    target(
                        "topk(10, sum by (rule) (increase(claude_otel_findings_total"
                        '{rule=~"$rule"}[$__range])))',
                        "{{rule}}",
                        instant=True,
                    )
                ],
                width=8,
            ),
            Panel(
                "bargauge",
                "Top 400 categories in range",
                "The ten error categories with the most failures during the selected time range, whatever "
                "the status class. Categories are the classifier's reading of the API's error message.",
                [
                    target(
                        "topk(10, sum by (category) (increase(claude_otel_errors_total"
                        '{category=~"$category"}[$__range])))',
                        "{{category}}",
                        instant=True,
                    )
                ],
                width=8,
            ),
            Panel(
                "table",
                "Failures by prediction and status class",
                "Failure counts over the selected range per category, status class and prediction. A "
                "category with predicted=ok rows is a failure mode the shape rules miss.",
                [
                    target(
                        "sum by (category, status_class, predicted) (increase(claude_otel_errors_total"
                        '{category=~"$category"}[$__range]))',
                        "",
                        instant=True,
                        fmt="table",
                    )
                ],
                columns={"Value": "failures"},
                width=8,
            ),
        ],
    )
    traces = Row(
        "Recent failures",
        [
            Panel(
                "timeseries",
                "Recent 400s with exemplars (request id and trace)",
                "HTTP 400s per second for the selected model and client. Each exemplar dot is one real "
                "failed request: its labels carry the trace_id and, where the exporter attached it, the "
                "API request-id to quote to Anthropic support. Click a dot to open the span with its shape "
                "attributes and findings.",
                [
                    target(
                        _rate('outcome="invalid_request"', "model, client"),
                        "{{model}} / {{client}}",
                        exemplar=True,
                    )
                ],
                width=12,
                unit="reqps",
            ),
            Panel(
                "traces-table",
                "Recent failed requests (traces)",
                "The latest Messages API spans that ended with HTTP 400 in the selected categories, searched "
                "in the trace datasource (Tempo, TraceQL), with the request-id the API returned, the error "
                "category, the prediction and the rules that fired. Each row opens the span with its "
                "request shape.",
                [traceql_target(FAILED_SPANS)],
                width=12,
                datasource=dict(TRACES),
            ),
        ],
    )
    sessions = Row(
        "Sessions: failures as users experienced them",
        [
            Panel(
                "timeseries",
                "Failures experienced and their retries",
                "Failures per second as users experienced them (one per retry burst: Claude Code resends a "
                "400 six times within a second, the SDKs retry 429 and 5xx) next to the failing attempts "
                "that repeated a failure of the same session. Alert on the first, not on errors_total.",
                [
                    target(
                        "sum by (category) (rate(claude_otel_failures_experienced_total"
                        f'{{category=~"$category",client=~"$client"}}[{RI}]))',
                        "{{category}} experienced",
                        exemplar=True,
                    ),
                    target(
                        "sum by (category) (rate(claude_otel_failure_repeats_total"
                        f'{{category=~"$category",client=~"$client"}}[{RI}]))',
                        "{{category}} repeats",
                        exemplar=True,
                    ),
                ],
                unit="reqps",
            ),
            Panel(
                "timeseries",
                "Stuck sessions",
                "Sessions whose last attempts all failed with the same category and where nothing succeeded "
                "since, per category. Each one is a user who cannot go on: open the packets with "
                "`claude-otel incidents list --category <category>` on the proxy's host.",
                [
                    target(
                        'sum by (category) (claude_otel_stuck_sessions{category=~"$category"})',
                        "{{category}}",
                        exemplar=True,
                    )
                ],
            ),
            Panel(
                "timeseries",
                "Stuck sessions by instance",
                "Stuck sessions per scraped instance (proxy replica, agent process) and category: the "
                "stuck-sessions alert adds them up per job, so two replicas with one stuck session each "
                "fire it. Behind a load balancer without session affinity, one session's retries spread "
                "over several replicas, and each counts only the attempts it saw: such a session may show "
                "on none, or on several. Open the packets on the host of the instance shown.",
                [
                    target(
                        "sum by (job, instance, category) (claude_otel_stuck_sessions"
                        '{category=~"$category"})',
                        "{{instance}} ({{job}}) {{category}}",
                        exemplar=True,
                    )
                ],
            ),
            Panel(
                "timeseries",
                "Recoveries",
                "Sessions that succeeded again after a failure, per category of the failure and by what "
                "cleared it: a retry within seconds (the client changed the request, e.g. dropped thinking) "
                "or something later (a rewind, an edit, capacity coming back).",
                [
                    target(
                        "sum by (category, via) (rate(claude_otel_session_recoveries_total"
                        f'{{category=~"$category"}}[{RI}]))',
                        "{{category}} via {{via}}",
                        exemplar=True,
                    )
                ],
                unit="reqps",
            ),
        ],
    )
    records = Row(
        "Incident records (evidence packets)",
        [
            Panel(
                "logs",
                "Incident records",
                "One line per incident record the proxy or the instrumented agents exported over OTLP "
                "(the collector sends them to Loki): what failed, the category and the incident id. "
                "Expand a line for the whole packet without content: client version, status, findings "
                "with paths, tool names, session, retry attempt, skeleton. Its trace_id field opens the "
                "failing attempt's trace in Tempo; from a span, 'Logs for this span' comes back here. "
                "`claude-otel incidents show <id>` on the host prints the same packet as Markdown.",
                [logql_target(INCIDENT_LOGS)],
                width=24,
                height=10,
                datasource=dict(LOGS),
            ),
        ],
    )
    return Dashboard(
        uid="claude-otel-incident",
        title="claude-otel / Incident drill-down",
        description=(
            "Filter by rule or 400 category and follow exemplars to the traces of the failing requests."
        ),
        rows=[focus, sessions, traces, records],
        variables=variables,
        time_from="now-3h",
    )


DASHBOARDS = {
    "claude-otel-fleet-overview.json": fleet_overview,
    "claude-otel-shape-vs-400.json": correlation,
    "claude-otel-incident-drilldown.json": incident,
}


def build_all() -> dict[str, str]:
    """File name -> rendered JSON text, for every dashboard."""
    return {name: render(make()) for name, make in DASHBOARDS.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if the committed JSON is stale")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="output directory")
    args = parser.parse_args(argv)
    built = build_all()
    if args.check:
        stale = [
            n
            for n, text in built.items()
            if not (args.out / n).is_file() or (args.out / n).read_text() != text
        ]
        for name in stale:
            print(f"stale: {args.out / name} (run python dashboards/build.py)", file=sys.stderr)
        return 1 if stale else 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in built.items():
        (args.out / name).write_text(text)
        print(f"wrote {args.out / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
