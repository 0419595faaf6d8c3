"""The session metrics (Prometheus), one set per registry. Labels from fixed sets only: ``category``
(``claude_otel.core.classify.CATEGORIES``), ``client`` (``CLIENT_LABELS``), ``via`` (retry / later).
Session ids are never labels."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import GaugeMetricFamily

__all__ = ["RECOVERY_VIA", "SessionMetrics", "get_session_metrics"]

RECOVERY_VIA = ("retry", "later")


class _StuckCollector:
    """``claude_otel_stuck_sessions{category}``: read from the session tables at scrape time."""

    def __init__(self) -> None:
        self.sources: list[weakref.ref[Any]] = []  # session tables (weak: a replaced one goes away)

    def add(self, table: Any) -> None:
        self.sources = [r for r in self.sources if r() is not None] + [weakref.ref(table)]

    def describe(self) -> list[Any]:
        return [self._family({})]

    def collect(self) -> Iterator[Any]:
        totals: dict[str, int] = {}
        for ref in list(self.sources):
            table = ref()
            if table is None:
                continue
            try:
                for category, n in table.stuck_by_category().items():
                    totals[category] = totals.get(category, 0) + n
            except Exception:  # a scrape never fails because of a session table
                continue
        yield self._family(totals)

    @staticmethod
    def _family(totals: dict[str, int]) -> GaugeMetricFamily:
        g = GaugeMetricFamily(
            "claude_otel_stuck_sessions",
            "Sessions whose last attempts all failed with the same category, nothing succeeded since",
            labels=("category",),
        )
        for category in sorted(totals):
            g.add_metric((category,), totals[category])
        return g


class SessionMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.experienced = Counter(
            "claude_otel_failures_experienced",
            "Failures as users experience them: one per retry burst (the first failing attempt of a session "
            "after a success or after the repeat window), by error category and client",
            ("category", "client"),
            registry=registry,
        )
        self.repeats = Counter(
            "claude_otel_failure_repeats",
            "Failing attempts that repeat their session's previous failure (a retry of the same "
            "conversation within the repeat window); attempts = experienced + repeats",
            ("category", "client"),
            registry=registry,
        )
        self.recoveries = Counter(
            "claude_otel_session_recoveries",
            "Sessions that succeeded after a failure, by the failure's category and whether a retry "
            "(within the repeat window) or something later cleared it",
            ("category", "via"),
            registry=registry,
        )
        self.stuck = _StuckCollector()
        registry.register(self.stuck)  # type: ignore[arg-type]
        self._children: dict[tuple[str, tuple[str, ...]], Any] = {}

    def child(self, metric: Any, labels: tuple[str, ...]) -> Any:
        key = (metric._name, labels)
        c = self._children.get(key)
        if c is None:
            c = self._children[key] = metric.labels(*labels)
        return c


_lock = threading.Lock()
_by_registry: dict[int, SessionMetrics] = {}


def get_session_metrics(registry: CollectorRegistry) -> SessionMetrics:
    with _lock:
        m = _by_registry.get(id(registry))
        if m is None or m.registry is not registry:
            m = _by_registry[id(registry)] = SessionMetrics(registry)
        return m
