"""Read the operator's numbers from the instrumentation's Prometheus registry (docs/interfaces.md §2).

The live view and the report show what ``/metrics`` serves, not the demo's own bookkeeping. Works with any
object that has ``collect()`` (a ``CollectorRegistry``); reads samples by name, so it needs no import of
prometheus_client.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

REQUESTS = "claude_otel_requests_total"
ERRORS = "claude_otel_errors_total"
FINDINGS = "claude_otel_findings_total"
STREAMS = "claude_otel_streams_total"
INTERNAL = "claude_otel_internal_errors_total"
EXPECTED_SERIES = (REQUESTS, ERRORS, FINDINGS)


class _Collector(Protocol):
    def collect(self) -> Iterable[Any]: ...


@dataclass
class MetricsView:
    requests: int = 0
    requests_by_outcome: Counter[str] = field(default_factory=Counter)
    requests_by_endpoint: Counter[str] = field(default_factory=Counter)  # messages, count_tokens
    errors_by_category: Counter[str] = field(default_factory=Counter)
    findings_by_rule: Counter[str] = field(default_factory=Counter)  # error-severity findings
    warnings_by_rule: Counter[str] = field(default_factory=Counter)
    prediction: dict[str, int] = field(default_factory=dict)
    internal_errors: int = 0
    series: set[str] = field(default_factory=set)  # sample names seen

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "requests_by_outcome": dict(sorted(self.requests_by_outcome.items())),
            "requests_by_endpoint": dict(sorted(self.requests_by_endpoint.items())),
            "errors_by_category": dict(sorted(self.errors_by_category.items())),
            "findings_by_rule": dict(sorted(self.findings_by_rule.items())),
            "warnings_by_rule": dict(sorted(self.warnings_by_rule.items())),
            "prediction": self.prediction,
            "internal_errors": self.internal_errors,
        }


def read_registry(registry: _Collector | None) -> MetricsView:
    """Sum the claude-otel counters of ``registry``; an empty view when there is none."""
    view = MetricsView()
    table: Counter[tuple[bool, bool]] = Counter()
    if registry is None:
        view.prediction = _table(table)
        return view
    for family in registry.collect():
        for sample in family.samples:
            name, labels, value = sample.name, sample.labels, int(sample.value)
            if name.startswith("claude_otel_"):
                view.series.add(name)
            if name == REQUESTS:
                view.requests += value
                outcome = labels.get("outcome", "")
                view.requests_by_outcome[outcome] += value
                view.requests_by_endpoint[labels.get("endpoint", "")] += value
                if outcome in ("ok", "invalid_request"):
                    table[(labels.get("predicted") == "error", outcome == "invalid_request")] += value
            elif name == ERRORS:
                view.errors_by_category[labels.get("category", "")] += value
            elif name == FINDINGS:
                target = view.findings_by_rule if labels.get("severity") == "error" else view.warnings_by_rule
                target[labels.get("rule", "")] += value
            elif name == INTERNAL:
                view.internal_errors += value
    for counter in (
        view.requests_by_outcome,
        view.requests_by_endpoint,
        view.errors_by_category,
        view.findings_by_rule,
    ):
        for key in [k for k, v in counter.items() if v == 0]:
            del counter[key]
    view.prediction = _table(table)
    return view


def _table(table: Counter[tuple[bool, bool]]) -> dict[str, int]:
    return {
        "predicted_and_failed": table[(True, True)],
        "predicted_but_succeeded": table[(True, False)],
        "failed_not_predicted": table[(False, True)],
        "ok_not_predicted": table[(False, False)],
    }


# samples whose sum over the label sets means nothing: creation timestamps, cumulative histogram buckets
MEANINGLESS_SUMS = ("_created", "_bucket")


def parse_exposition(text: str) -> dict[str, float]:
    """Sum the values of each sample name in a Prometheus text exposition (for scraping ``/metrics``);
    counters (``_total``) and histograms' ``_count`` and ``_sum``, not ``MEANINGLESS_SUMS``."""
    sums: dict[str, float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        head, _, rest = line.partition(" ") if "{" not in line.split(" ", 1)[0] else _split_labels(line)
        if head.endswith(MEANINGLESS_SUMS):
            continue
        try:
            value = float(rest.split()[0])
        except (IndexError, ValueError):
            continue
        sums[head] = sums.get(head, 0.0) + value
    return sums


def _split_labels(line: str) -> tuple[str, str, str]:
    name, _, after = line.partition("{")
    end = after.rfind("}")
    return name, "", after[end + 1 :].strip()
