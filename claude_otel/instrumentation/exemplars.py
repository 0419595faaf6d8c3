"""Counter and histogram updates with an exemplar, without prometheus_client validating it on every call.

Every series claude-otel updates per request carries the attempt's trace and span ids as an exemplar
(``Metrics.exemplar``: two fixed label names, 63 characters, valid by construction). prometheus_client
validates an exemplar's label names and length on each ``inc``/``observe``, which is more than half of
what an update costs; a request makes about a dozen. ``count`` and ``observe`` store the same value and
the same exemplar as the public methods (the exposition is identical, tested), and fall back to them
when the exemplar is None or this prometheus_client keeps its values elsewhere.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from typing import Any

from prometheus_client import Counter, Histogram
from prometheus_client.samples import Exemplar

__all__ = ["count", "observe"]


def _probe_fast_path() -> bool:
    """Whether this prometheus_client keeps a child's value, sum and buckets where ``count``/``observe``
    expect them (every version since exemplars came, 0.10); else they call the public methods."""
    try:
        c = Counter("claude_otel_probe", "probe", registry=None)
        h = Histogram("claude_otel_probe", "probe", registry=None, buckets=(1.0,))
        return (
            callable(c._value.inc)
            and callable(c._value.set_exemplar)
            and callable(h._sum.inc)
            and len(h._buckets) == len(h._upper_bounds) == 2
            and callable(h._buckets[0].set_exemplar)
        )
    except Exception:  # pragma: no cover - another prometheus_client layout
        return False


_FAST = _probe_fast_path()


def count(metric: Any, exemplar: dict[str, str] | None, amount: float = 1) -> None:
    """``metric.inc(amount, exemplar=exemplar)`` for an exemplar made by ``Metrics.exemplar``."""
    if exemplar is None or not _FAST or amount < 0:
        metric.inc(amount, exemplar=exemplar)
        return
    value = metric._value
    value.inc(amount)
    value.set_exemplar(Exemplar(exemplar, amount, time.time()))


def observe(metric: Any, amount: float, exemplar: dict[str, str] | None) -> None:
    """``metric.observe(amount, exemplar)`` likewise (the exemplar goes on the bucket the value falls in)."""
    if exemplar is None or not _FAST:
        metric.observe(amount, exemplar)
        return
    metric._sum.inc(amount)
    bounds = metric._upper_bounds  # sorted, ending with +Inf: the first bound >= amount, found in C
    i = bisect_left(bounds, amount)
    if i < len(bounds) and amount <= bounds[i]:  # (NaN falls in no bucket, as in observe())
        bucket = metric._buckets[i]
        bucket.inc(1)
        bucket.set_exemplar(Exemplar(exemplar, amount, time.time()))
