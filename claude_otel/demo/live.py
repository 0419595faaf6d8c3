"""The live terminal view (rich): the operator's numbers from ``/metrics`` next to the demo's ground truth."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Group as RichGroup
from rich.console import RenderableType
from rich.panel import Panel
from rich.table import Table

from .metrics_view import MetricsView

MAX_ROWS = 10
WIDE = 110  # terminal columns from which tables go side by side


def _counter_table(title: str, counts: Mapping[str, int], key: str) -> Table:
    table = Table(title=title, title_justify="left", expand=True, show_edge=False, pad_edge=False)
    table.add_column(key, overflow="fold")
    table.add_column("count", justify="right")
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    for name, value in rows[:MAX_ROWS]:
        table.add_row(name, str(value))
    if len(rows) > MAX_ROWS:
        table.add_row(f"... {len(rows) - MAX_ROWS} more", "")
    if not rows:
        table.add_row("-", "0")
    return table


def _prediction_table(prediction: Mapping[str, int]) -> Table:
    table = Table(title="prediction (from /metrics)", title_justify="left", expand=True, show_edge=False)
    table.add_column("", overflow="fold")
    table.add_column("count", justify="right")
    table.add_row("[green]predicted 400, got 400[/]", str(prediction.get("predicted_and_failed", 0)))
    table.add_row("[yellow]predicted 400, succeeded[/]", str(prediction.get("predicted_but_succeeded", 0)))
    table.add_row("[red]400 not predicted[/]", str(prediction.get("failed_not_predicted", 0)))
    table.add_row("ok, not predicted", str(prediction.get("ok_not_predicted", 0)))
    return table


def _ground_truth_table(groups: Mapping[str, Mapping[str, Any]]) -> Table:
    table = Table(title="agents (ground truth)", title_justify="left", expand=True, show_edge=False)
    table.add_column("kind", no_wrap=True, min_width=21)
    for col in ("agents", "requests", "injected", "400s", "predicted"):
        table.add_column(col, justify="right")
    for kind, g in groups.items():
        style = "green" if kind == "clean" else ""
        table.add_row(
            f"[{style}]{kind}[/]" if style else kind,
            str(g.get("agents", 0)),
            str(g.get("requests", 0)),
            str(g.get("injected", 0)),
            str(g.get("errors_400", 0)),
            str(g.get("injected_predicted", 0) if kind != "clean" else g.get("predicted_error", 0)),
        )
    return table


def _events(recent: list[Any]) -> Table:
    table = Table(title="recent errors", title_justify="left", expand=True, show_edge=False)
    for col in ("agent", "kind", "status", "category", "predicted", "request id"):
        table.add_column(col, overflow="fold")
    for e in recent[-6:]:
        table.add_row(str(e.agent), e.kind, _status(e.status), e.category, e.predicted, e.request_id or "-")
    return table


def _status(status: int | None) -> str:
    if status is None:
        return "-"
    return str(status) if status >= 400 else "stream"


# rules the API answers with the tool_result_missing text (reference A2, A3 and split results)
SAME_TEXT_AS_MISSING = ("tool_result_not_first", "tool_result_orphan")


def why_tables_differ(view: MetricsView) -> str | None:
    """Why "errors by category" and "findings by rule" disagree on tool_result_missing, when they do."""
    same_text = [r for r in SAME_TEXT_AS_MISSING if view.findings_by_rule.get(r)]
    if not view.errors_by_category.get("tool_result_missing") or not same_text:
        return None
    return (
        f"the API answers {' and '.join(same_text)} (text before the results, results split over two turns) "
        "with the tool_result_missing text: errors by category count them there. A request counts once per "
        "rule it breaks, and again for each SDK retry after a 429/529."
    )


def render(
    view: MetricsView,
    tally: Mapping[str, Any],
    *,
    elapsed: float,
    duration: float,
    mock_url: str,
    metrics_url: str,
    width: int = 120,
    final: bool = False,
) -> RenderableType:
    """One frame of the live view; tables side by side from ``WIDE`` columns, stacked below that.

    ``final``: the frame drawn once the agents stopped, from the numbers the report holds."""
    counts = f"requests {view.requests}   400s {view.requests_by_outcome.get('invalid_request', 0)}"
    if final:
        when = f"finished in {elapsed:.1f} s"
    elif view.requests == 0:
        when = f"{elapsed:5.1f}/{duration:.0f} s   waiting for the first answers (the agents' first requests)"
    else:
        when = f"{elapsed:5.1f}/{duration:.0f} s"
    header = f"[b]claude-otel demo[/]  {when}   {counts}\nmock {mock_url}   metrics {metrics_url}"
    findings = _counter_table("findings by rule (error, from /metrics)", view.findings_by_rule, "rule")
    note = why_tables_differ(view)
    if note is not None:
        findings.caption = note
        findings.caption_justify = "left"
    tables = [
        _counter_table("errors by category (from /metrics)", view.errors_by_category, "category"),
        findings,
        _prediction_table(view.prediction),
        _ground_truth_table(tally.get("groups", {})),
    ]
    wide = width >= WIDE
    grid = Table.grid(expand=True, padding=(0, 2))
    grid.add_column(ratio=1)
    if wide:
        grid.add_column(ratio=1)
        grid.add_row(tables[0], tables[1])
        grid.add_row(tables[2], tables[3])
    else:
        for table in (tables[3], tables[2], tables[0], tables[1]):
            grid.add_row(table)
    parts: list[RenderableType] = [header, grid]
    if wide:
        parts.append(_events(list(tally.get("recent", []))))
    title = "final numbers (the report's)" if final else "Ctrl-C to stop"
    return Panel(RichGroup(*parts), title=title, expand=True)
