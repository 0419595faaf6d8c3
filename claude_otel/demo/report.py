"""The JSON report of a demo run and its one-screen text summary. Pure, except ``write_report``."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .agents import AgentSpec
from .faults import FAULTS
from .tally import CLEAN

REPORT_VERSION = 2  # 2: one request total ("requests"), no _created/_bucket sums in metrics_scrape
RETRIED_OUTCOMES = ("rate_limited", "overloaded", "server_error")  # answers the SDK retries: 429, 529, 5xx
RETRIED_CATEGORIES = ("rate_limit", "overloaded", "server_error")  # the same, as an agent classifies them


def request_totals(tally: Mapping[str, Any], metrics: Mapping[str, Any]) -> dict[str, int]:
    """The one request total, what ``/metrics`` counts (every HTTP request to the Messages API, read after
    the agents stopped), and the parts it is made of where they exist: the agents' calls (each once,
    however often the SDK retried it), the SDK's retries of 429/529/5xx answers (an HTTP request the agent
    never saw), count_tokens requests; requests still in flight when the report was written, and any rest
    (``unexplained``, expected absent)."""
    groups: Mapping[str, Mapping[str, Any]] = tally.get("groups", {})
    by_agents = sum(g.get("requests", 0) for g in groups.values())
    total = int(metrics.get("requests", 0))
    count_tokens = int(metrics.get("requests_by_endpoint", {}).get("count_tokens", 0))
    answered = sum(metrics.get("requests_by_outcome", {}).get(o, 0) for o in RETRIED_OUTCOMES)
    seen = sum(
        g.get("other_error_categories", {}).get(c, 0) for g in groups.values() for c in RETRIED_CATEGORIES
    )
    retries = max(0, answered - seen)  # a retryable answer the agent did not see was retried
    out = {"total": total, "by_agents": by_agents}
    if retries:
        out["sdk_retries"] = retries
    if count_tokens:
        out["count_tokens"] = count_tokens
    if tally.get("in_flight"):
        out["in_flight_at_end"] = int(tally["in_flight"])
    rest = total - by_agents - retries - count_tokens
    if rest:
        out["unexplained"] = rest
    return out


def build_report(
    *,
    config: Mapping[str, Any],
    fleet: Sequence[AgentSpec],
    tally: Mapping[str, Any],
    metrics: Mapping[str, Any],
    metrics_url: str | None,
    metrics_scrape: Mapping[str, Any],
    mock_url: str | None,
    elapsed_s: float,
    interrupted: bool,
    spans: Mapping[str, Any] | None = None,
    otlp_endpoint: str | None = None,
) -> dict[str, Any]:
    """``tally`` is ``Tally.snapshot()``, ``metrics`` is ``MetricsView.as_dict()``."""
    groups: Mapping[str, Mapping[str, Any]] = tally.get("groups", {})
    faults: dict[str, Any] = {}
    for kind in sorted({s.fault for s in fleet if s.fault}):
        g = dict(groups.get(kind, {}))
        faults[kind] = {
            "agents": g.get("agents", 0),
            "requests": g.get("requests", 0),
            "injected": g.get("injected", 0),
            "errors_400": g.get("errors_400", 0),
            "injected_400": g.get("injected_400", 0),
            "predicted": g.get("injected_predicted", 0),
            "predicted_error_any": g.get("predicted_error", 0),
            "categories": g.get("categories", {}),
            "error_findings": g.get("error_findings", {}),
            "expected_rules": sorted(FAULTS[kind].rules),
            "other_errors": g.get("other_errors", 0),
            "conversations_completed": g.get("conversations_completed", 0),
        }
    c = dict(groups.get(CLEAN, {}))
    clean = {
        "agents": c.get("agents", 0),
        "requests": c.get("requests", 0),
        "errors_400": c.get("errors_400", 0),
        "categories": c.get("categories", {}),
        "error_findings": c.get("error_findings", {}),
        "error_findings_total": sum(c.get("error_findings", {}).values()),
        "other_errors": c.get("other_errors", 0),
        "conversations_completed": c.get("conversations_completed", 0),
    }
    return {
        "version": REPORT_VERSION,
        "config": dict(config),
        "elapsed_s": round(elapsed_s, 2),
        "interrupted": interrupted,
        "mock_server": mock_url,
        "metrics_url": metrics_url,
        "fleet": [
            {
                "agent": s.index,
                "scenario": s.scenario,
                "fault": s.fault,
                "stream": s.stream,
                "async": s.use_async,
            }
            for s in fleet
        ],
        "requests": request_totals(tally, metrics),
        "faults": faults,
        "clean": clean,
        "prediction": dict(tally.get("prediction", {})),
        "metrics": dict(metrics),
        "metrics_scrape": dict(metrics_scrape),
        "spans": dict(spans or {}),
        "otlp_endpoint": otlp_endpoint,
    }


def write_report(report: Mapping[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write atomically (temp file + rename); creates the parent folder."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(json.dumps(report, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    tmp.replace(target)
    return target


def total_line(requests: Mapping[str, int]) -> str:
    """ "5512 requests (5431 by the agents + 81 SDK retries)": the total and its parts, where they exist."""
    parts = [f"{requests.get('by_agents', 0)} by the agents"]
    for key, name in (
        ("sdk_retries", "SDK retries after 429/529"),
        ("count_tokens", "count_tokens"),
        ("unexplained", "unexplained"),
    ):
        if requests.get(key):
            parts.append(f"{requests[key]} {name}")
    text = f"{requests.get('total', 0)} requests"
    if len(parts) > 1:
        text += " (" + " + ".join(parts) + ")"
    return text.replace("+ -", "- ")  # a negative rest: more calls than /metrics counted


def summary_lines(report: Mapping[str, Any]) -> list[str]:
    """A short plain-text summary of the report (what the terminal shows at the end)."""
    lines: list[str] = []
    faults: Mapping[str, Mapping[str, Any]] = report.get("faults", {})
    clean: Mapping[str, Any] = report.get("clean", {})
    requests: Mapping[str, int] = report.get("requests", {})
    first = (
        f"{total_line(requests)} by {len(report.get('fleet', []))} agents in {report.get('elapsed_s', 0)} s"
    )
    if requests.get("in_flight_at_end"):
        first += f"; {requests['in_flight_at_end']} still in flight at the end"
    lines.append(first + (" (interrupted)" if report.get("interrupted") else ""))
    width = max([len(k) for k in faults] + [len("clean agents")])
    lines.append(f"{'fault kind':<{width}}  injected  400s  predicted  categories")
    for kind, f in faults.items():
        cats = ", ".join(f"{k}={v}" for k, v in f.get("categories", {}).items()) or "-"
        lines.append(
            f"{kind:<{width}}  {f.get('injected', 0):>8}  {f.get('injected_400', 0):>4}  "
            f"{f.get('predicted', 0):>9}  {cats}"
        )
    lines.append(
        f"{'clean agents':<{width}}  requests={clean.get('requests', 0)} 400s={clean.get('errors_400', 0)} "
        f"error findings={clean.get('error_findings_total', 0)}"
    )
    p = report.get("prediction", {})
    lines.append(
        f"prediction: predicted and got 400 = {p.get('predicted_and_failed', 0)}, "
        f"predicted but succeeded = {p.get('predicted_but_succeeded', 0)}, "
        f"400 not predicted = {p.get('failed_not_predicted', 0)}"
    )
    return lines
