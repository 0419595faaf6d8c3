"""Bounded, time-limited memory of what responses returned, keyed by the ids the API handed out."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from claude_otel.core.continuity import ResponseRecord

__all__ = ["StateStore"]


class StateStore:
    """LRU + TTL map from id (``msg_…``, ``toolu_…``, ``srvtoolu_…``, ``thinking:<signature digest>``) to
    ResponseRecord.

    At most ``max_entries`` ids are kept; an entry older than ``ttl_seconds`` is not returned.
    The lock guards only dictionary operations (never I/O).
    """

    def __init__(
        self,
        max_entries: int = 10_000,
        ttl_seconds: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_entries = max_entries
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._data: OrderedDict[str, tuple[float, ResponseRecord]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._data)

    def put(self, record: ResponseRecord) -> None:
        if self.max_entries <= 0:
            return
        now = self._clock()
        with self._lock:
            for key in record.index_keys():
                self._data[key] = (now, record)
                self._data.move_to_end(key)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)

    def get(self, key: str) -> ResponseRecord | None:
        with self._lock:
            item = self._data.get(key)
            if item is None:
                return None
            stamp, record = item
            if self._clock() - stamp > self.ttl_seconds:
                del self._data[key]
                return None
            return record

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
