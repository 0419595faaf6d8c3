"""The demo's ground truth: what each agent sent (clean or with which fault), what came back, what the core
predicted. Thread-safe counters; content-free (kinds, categories, rule ids, counts).
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

CLEAN = "clean"


@dataclass
class Group:
    """Counters for the agents of one fault kind (or the clean agents)."""

    agents: int = 0
    requests: int = 0
    injected: int = 0  # requests that carried the fault
    errors_400: int = 0
    injected_400: int = 0
    predicted_error: int = 0  # requests the core predicted to fail (before sending)
    injected_predicted: int = 0
    other_errors: int = 0  # 429, 529, 5xx, mid-stream errors, connection errors
    conversations_completed: int = 0
    categories: Counter[str] = field(default_factory=Counter)  # classifier category of the 400s
    error_rules: Counter[str] = field(default_factory=Counter)  # error-severity findings before sending
    other_categories: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "agents": self.agents,
            "requests": self.requests,
            "injected": self.injected,
            "errors_400": self.errors_400,
            "injected_400": self.injected_400,
            "predicted_error": self.predicted_error,
            "injected_predicted": self.injected_predicted,
            "other_errors": self.other_errors,
            "conversations_completed": self.conversations_completed,
            "categories": dict(sorted(self.categories.items())),
            "error_findings": dict(sorted(self.error_rules.items())),
            "other_error_categories": dict(sorted(self.other_categories.items())),
        }


@dataclass(frozen=True, slots=True)
class Event:
    """One line of the fleet log: a 400 or another failure an agent saw."""

    agent: int
    kind: str  # fault kind or "clean"
    status: int | None
    category: str
    predicted: str
    request_id: str | None


class Tally:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.groups: dict[str, Group] = {}
        # prediction table over every request: (predicted error?, got a 400?) -> count
        self.table: Counter[tuple[bool, bool]] = Counter()
        self.events: deque[Event] = deque(maxlen=200)
        self.in_flight = 0  # requests sent whose answer no agent has recorded (yet)

    def sending(self) -> None:
        """An agent is about to send a request (``request()`` records how it ended)."""
        with self._lock:
            self.in_flight += 1

    def add_agent(self, kind: str) -> None:
        with self._lock:
            self.groups.setdefault(kind, Group()).agents += 1

    def request(
        self,
        kind: str,
        *,
        injected: bool,
        predicted: str,
        error_rules: frozenset[str] | set[str],
        status: int | None,
        category: str | None,
    ) -> None:
        """Record one request: ``category`` None = success, else the category of the error."""
        predicted_error = predicted == "error"
        got_400 = status == 400
        with self._lock:
            self.in_flight = max(0, self.in_flight - 1)
            g = self.groups.setdefault(kind, Group())
            g.requests += 1
            g.injected += injected
            g.predicted_error += predicted_error
            g.injected_predicted += injected and predicted_error
            g.error_rules.update(error_rules)
            if got_400:
                g.errors_400 += 1
                g.injected_400 += injected
                g.categories[category or "unclassified"] += 1
            elif category is not None:
                g.other_errors += 1
                g.other_categories[category] += 1
            if category is None or got_400:  # the table compares success with 400s only
                self.table[(predicted_error, got_400)] += 1

    def event(self, event: Event) -> None:
        with self._lock:
            self.events.append(event)

    def completed(self, kind: str) -> None:
        with self._lock:
            self.groups.setdefault(kind, Group()).conversations_completed += 1

    def snapshot(self) -> dict[str, Any]:
        """A consistent, JSON-safe copy of every counter."""
        with self._lock:
            return {
                "groups": {k: g.as_dict() for k, g in sorted(self.groups.items())},
                "prediction": prediction_table(self.table),
                "recent": [e for e in self.events][-12:],
                "in_flight": self.in_flight,
            }


def prediction_table(table: Counter[tuple[bool, bool]]) -> dict[str, int]:
    return {
        "predicted_and_failed": table[(True, True)],
        "predicted_but_succeeded": table[(True, False)],
        "failed_not_predicted": table[(False, True)],
        "ok_not_predicted": table[(False, False)],
    }
