"""A small, dependency-free builder for Grafana dashboard JSON (schemaVersion 39).

Only what the claude-otel dashboards need: Prometheus targets, a handful of panel types, template
variables and an automatic grid layout. Every panel must carry a description; building fails otherwise.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = 39
PROMETHEUS = {"type": "prometheus", "uid": "${datasource}"}
TRACES = {"type": "tempo", "uid": "${traces}"}
LOGS = {"type": "loki", "uid": "${logs}"}
GRID_WIDTH = 24


def target(
    expr: str,
    legend: str = "",
    *,
    instant: bool = False,
    fmt: str = "time_series",
    exemplar: bool | None = None,
) -> dict[str, Any]:
    """One PromQL query of a panel. ``fmt`` is Grafana's format: time_series, table or heatmap.

    Exemplars (links from samples to traces) are on for every range query unless turned off.
    """
    if not expr.strip():
        raise ValueError("empty PromQL expression")
    if exemplar is None:
        exemplar = not instant
    return {
        "datasource": PROMETHEUS,
        "editorMode": "code",
        "expr": expr,
        "legendFormat": legend or "__auto",
        "range": not instant,
        "instant": instant,
        "format": fmt,
        "exemplar": exemplar,
    }


def traceql_target(query: str, limit: int = 20) -> dict[str, Any]:
    """A TraceQL search against the trace datasource variable (Tempo)."""
    return {
        "datasource": TRACES,
        "queryType": "traceql",
        "query": query,
        "limit": limit,
        "tableType": "traces",
    }


def logql_target(expr: str, max_lines: int = 100) -> dict[str, Any]:
    """A LogQL log query against the logs datasource variable (Loki)."""
    if not expr.strip().startswith("{"):
        raise ValueError(f"a LogQL log query starts with a stream selector: {expr!r}")
    return {
        "datasource": LOGS,
        "editorMode": "code",
        "expr": expr,
        "queryType": "range",
        "maxLines": max_lines,
    }


@dataclass
class Panel:
    kind: str  # timeseries, stat, table, heatmap, bargauge, traces-table, logs
    title: str
    description: str
    targets: list[dict[str, Any]]
    width: int = 12
    height: int = 8
    unit: str = "short"
    stacked: bool = False
    options: dict[str, Any] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)  # table panels: Grafana column -> shown name
    datasource: dict[str, str] = field(default_factory=lambda: dict(PROMETHEUS))

    def validate(self) -> None:
        if len(self.description.split()) < 8:
            raise ValueError(f"panel {self.title!r}: description must explain the panel to a newcomer")
        if not self.targets:
            raise ValueError(f"panel {self.title!r}: no queries")
        if not 1 <= self.width <= GRID_WIDTH:
            raise ValueError(f"panel {self.title!r}: width {self.width} outside 1..{GRID_WIDTH}")


def _field_config(p: Panel) -> dict[str, Any]:
    defaults: dict[str, Any] = {"unit": p.unit}
    if p.kind == "timeseries":
        defaults["custom"] = {
            "drawStyle": "line",
            "lineWidth": 1,
            "fillOpacity": 25 if p.stacked else 10,
            "showPoints": "never",
            "spanNulls": False,
            "stacking": {"mode": "normal" if p.stacked else "none", "group": "A"},
        }
        defaults["min"] = 0
    if p.kind in {"stat", "bargauge"}:
        defaults["thresholds"] = {
            "mode": "absolute",
            "steps": [{"color": "green", "value": None}],
        }
    return {"defaults": defaults, "overrides": []}


_DEFAULT_OPTIONS: dict[str, dict[str, Any]] = {
    "timeseries": {
        "legend": {
            "displayMode": "table",
            "placement": "bottom",
            "showLegend": True,
            "calcs": ["mean", "max"],
        },
        "tooltip": {"mode": "multi", "sort": "desc"},
    },
    "stat": {
        "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
        "colorMode": "value",
        "graphMode": "area",
        "textMode": "auto",
    },
    "bargauge": {
        "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
        "orientation": "horizontal",
        "displayMode": "gradient",
    },
    "table": {"showHeader": True, "cellHeight": "sm"},
    "heatmap": {
        "calculate": False,
        "yAxis": {"axisPlacement": "left"},
        "cellGap": 1,
        "color": {"mode": "scheme", "scheme": "Oranges", "steps": 64},
        "tooltip": {"mode": "single", "yHistogram": True},
        "exemplars": {"color": "rgba(255,0,255,0.7)"},
    },
    "traces-table": {"showHeader": True},
    "logs": {
        "showTime": True,
        "showLabels": False,
        "showCommonLabels": False,
        "wrapLogMessage": True,
        "prettifyLogMessage": False,
        "enableLogDetails": True,
        "dedupStrategy": "none",
        "sortOrder": "Descending",
    },
}


def _panel_json(p: Panel, panel_id: int, x: int, y: int) -> dict[str, Any]:
    p.validate()
    targets = []
    for i, t in enumerate(p.targets):
        targets.append({"refId": chr(ord("A") + i), **t})
    kind = "table" if p.kind == "traces-table" else p.kind
    out: dict[str, Any] = {
        "id": panel_id,
        "type": kind,
        "title": p.title,
        "description": p.description,
        "datasource": p.datasource,
        "gridPos": {"h": p.height, "w": p.width, "x": x, "y": y},
        "targets": targets,
        "fieldConfig": _field_config(p),
        "options": {**_DEFAULT_OPTIONS[p.kind], **p.options},
    }
    if any(t.get("format") == "table" for t in p.targets):
        transformations: list[dict[str, Any]] = []
        if len(p.targets) > 1:
            transformations.append({"id": "merge", "options": {}})
        transformations.append(
            {"id": "organize", "options": {"excludeByName": {"Time": True}, "renameByName": dict(p.columns)}}
        )
        out["transformations"] = transformations
    return out


@dataclass
class Row:
    title: str
    panels: list[Panel]


def datasource_variable(name: str, label: str, plugin: str) -> dict[str, Any]:
    return {
        "name": name,
        "label": label,
        "type": "datasource",
        "query": plugin,
        "current": {},
        "hide": 0,
        "includeAll": False,
        "multi": False,
        "options": [],
        "refresh": 1,
        "regex": "",
    }


def _multi_select(all_value: str) -> dict[str, Any]:
    """What every label variable of ours shares: multi-select, "All" selected and meaning ``all_value``."""
    return {
        "includeAll": True,
        "multi": True,
        "allValue": all_value,
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
        "hide": 0,
        "options": [],
        "refresh": 2,
        "regex": "",
        "sort": 1,
    }


def loki_label_variable(name: str, label: str, label_name: str) -> dict[str, Any]:
    """A multi-select variable over the values of one Loki stream label; "All" means ``.+``.

    Loki refuses a stream selector whose matchers all match the empty string, so "All" is ``.+``.
    """
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": LOGS,
        "definition": f"label_values({label_name})",
        "query": {
            "type": 1,
            "label": label_name,
            "stream": "",
            "refId": "LokiVariableQueryEditor-VariableQuery",
        },
        **_multi_select(".+"),
    }


def label_variable(name: str, label: str, metric: str, label_name: str) -> dict[str, Any]:
    """A multi-select variable over the values of one label; "All" means the regex ``.*``."""
    definition = f"label_values({metric}, {label_name})"
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": PROMETHEUS,
        "definition": definition,
        "query": {"qryType": 1, "query": definition, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
        **_multi_select(".*"),
    }


@dataclass
class Dashboard:
    uid: str
    title: str
    description: str
    rows: list[Row]
    variables: list[dict[str, Any]]
    tags: tuple[str, ...] = ("claude-otel",)
    time_from: str = "now-1h"

    def to_dict(self) -> dict[str, Any]:
        panels: list[dict[str, Any]] = []
        next_id = 1
        y = 0
        for row in self.rows:
            panels.append(
                {
                    "id": next_id,
                    "type": "row",
                    "title": row.title,
                    "collapsed": False,
                    "panels": [],
                    "gridPos": {"h": 1, "w": GRID_WIDTH, "x": 0, "y": y},
                }
            )
            next_id += 1
            y += 1
            x = 0
            line_height = 0
            for p in row.panels:
                if x + p.width > GRID_WIDTH:
                    x, y = 0, y + line_height
                    line_height = 0
                panels.append(_panel_json(p, next_id, x, y))
                next_id += 1
                x += p.width
                line_height = max(line_height, p.height)
            y += line_height
        return {
            "uid": self.uid,
            "title": self.title,
            "description": self.description,
            "tags": list(self.tags),
            "schemaVersion": SCHEMA_VERSION,
            "version": 1,
            "editable": True,
            "graphTooltip": 1,
            "timezone": "browser",
            "fiscalYearStartMonth": 0,
            "liveNow": False,
            "refresh": "30s",
            "time": {"from": self.time_from, "to": "now"},
            "timepicker": {},
            "annotations": {
                "list": [
                    {
                        "builtIn": 1,
                        "datasource": {"type": "grafana", "uid": "-- Grafana --"},
                        "enable": True,
                        "hide": True,
                        "iconColor": "rgba(0, 211, 255, 1)",
                        "name": "Annotations & Alerts",
                        "type": "dashboard",
                    }
                ]
            },
            "links": [
                {
                    "title": "claude-otel dashboards",
                    "type": "dashboards",
                    "tags": ["claude-otel"],
                    "asDropdown": True,
                    "includeVars": True,
                    "keepTime": True,
                }
            ],
            "templating": {"list": self.variables},
            "panels": panels,
        }


def render(dashboard: Dashboard) -> str:
    """Stable JSON text (the committed files are exactly this)."""
    return json.dumps(dashboard.to_dict(), indent=2, ensure_ascii=False) + "\n"
