"""Read the generated dashboards and turn every Prometheus query into one Prometheus can evaluate."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LABEL_VALUES = re.compile(
    r"^label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)$"
)


@dataclass(frozen=True)
class Query:
    dashboard: str  # dashboard uid
    panel: str  # panel title
    ref: str  # refId
    expr: str  # as written in the dashboard
    instant: bool
    exemplar: bool


def load_dashboards(directory: Path) -> dict[str, dict[str, Any]]:
    out = {}
    for path in sorted(directory.glob("*.json")):
        dashboard = json.loads(path.read_text())
        out[dashboard["uid"]] = dashboard
    return out


def panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in dashboard["panels"]:
        if panel["type"] == "row":
            yield from panel.get("panels", [])
        else:
            yield panel


def prometheus_queries(dashboard: dict[str, Any]) -> Iterator[Query]:
    for panel in panels(dashboard):
        for t in panel["targets"]:
            if t.get("datasource", panel["datasource"])["type"] != "prometheus":
                continue
            yield Query(dashboard["uid"], panel["title"], t["refId"], t["expr"], t["instant"], t["exemplar"])


def other_datasource_targets(dashboard: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(panel title, target) for every target that is not a Prometheus query (TraceQL on Tempo, LogQL on
    Loki)."""
    for panel in panels(dashboard):
        for t in panel["targets"]:
            if t.get("datasource", panel["datasource"])["type"] != "prometheus":
                yield panel["title"], t


def substitute(
    expr: str, dashboard: dict[str, Any], *, rate_interval: str, interval: str, range_: str
) -> str:
    """Replace Grafana's built-ins and the dashboard's template variables as Grafana would with 'All'."""
    out = expr.replace("$__rate_interval", rate_interval).replace("${__rate_interval}", rate_interval)
    out = out.replace("$__interval", interval).replace("${__interval}", interval)
    out = out.replace("$__range", range_).replace("${__range}", range_)
    variables = sorted(dashboard["templating"]["list"], key=lambda v: -len(v["name"]))
    for var in variables:
        if var["type"] != "query":
            continue
        value = var.get("allValue") or ".*"
        out = out.replace("${" + var["name"] + "}", value).replace("$" + var["name"], value)
    if "$" in out.replace("$1", ""):
        raise ValueError(f"unsubstituted variable left in {out!r}")
    return out


def label_value_queries(dashboard: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(variable name, metric, label) for every label_values() variable on Prometheus."""
    for var in dashboard["templating"]["list"]:
        if var["type"] != "query" or var["datasource"]["type"] != "prometheus":
            continue
        m = LABEL_VALUES.match(var["definition"])
        if m is None:
            raise ValueError(f"variable {var['name']}: unsupported definition {var['definition']!r}")
        yield var["name"], m.group(1), m.group(2)
