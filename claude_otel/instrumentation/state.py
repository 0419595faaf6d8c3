"""Bounded, time-limited memory of what responses returned, keyed by the ids the API handed out."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from claude_otel.core.continuity import ResponseRecord

__all__ = ["StateStore"]

_MAX_KEY_LEN = 256  # an id longer than this (no API id is) is not indexed
_ENTRY_OVERHEAD = 64  # rough bytes per kept id or fingerprint beyond its characters


def record_bytes(record: ResponseRecord) -> int:
    """An estimate of what keeping ``record`` costs (its ids, fingerprints and their containers)."""
    size = 200 + len(record.message_id or "") + len(record.container_id or "")
    for ids in (record.tool_use_ids, record.server_tool_use_ids):
        if ids:
            size += sum(map(len, ids)) + _ENTRY_OVERHEAD * len(ids)
    for fp in record.thinking:
        size += _ENTRY_OVERHEAD + sum(map(len, fp)) + _ENTRY_OVERHEAD * len(fp)
    return size


class StateStore:
    """LRU + TTL map from id (``msg_…``, ``toolu_…``, ``srvtoolu_…``, ``thinking:<signature digest>``) to
    ResponseRecord.

    Bounded twice: at most ``max_entries`` ids, and at most ``max_bytes`` (an estimate) of the records
    they keep alive; the oldest ids go first. An entry older than ``ttl_seconds`` is not returned. A
    record larger than ``max_bytes`` on its own is not kept. The lock guards only dictionary operations.
    """

    def __init__(
        self,
        max_entries: int = 10_000,
        ttl_seconds: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
        max_bytes: int = 32 * 1024 * 1024,
    ) -> None:
        self.max_entries = max_entries
        self.ttl_seconds = ttl_seconds
        self.max_bytes = max_bytes
        self._clock = clock
        self._data: OrderedDict[str, tuple[float, ResponseRecord]] = OrderedDict()
        self._refs: dict[int, list[int]] = {}  # id(record) -> [ids indexing it, its size]
        self.bytes = 0  # estimated bytes of the records kept alive by an id
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._data)

    def put(self, record: ResponseRecord) -> None:
        if self.max_entries <= 0:
            return
        keys = record.index_keys()
        if not keys:
            return
        if max(map(len, keys)) > _MAX_KEY_LEN:
            keys = tuple(k for k in keys if len(k) <= _MAX_KEY_LEN)
            if not keys:
                return
        size = record_bytes(record) + sum(map(len, keys)) + _ENTRY_OVERHEAD * len(keys)
        if size > self.max_bytes:
            return
        now = self._clock()
        data, refs, rid = self._data, self._refs, id(record)
        with self._lock:
            for key in keys:
                old = data.get(key)
                data[key] = (now, record)  # a new key goes to the end; a known one is moved there
                if old is not None:
                    data.move_to_end(key)
                    self._release(old[1])
                ref = refs.get(rid)
                if ref is None:
                    refs[rid] = [1, size]
                    self.bytes += size
                else:
                    ref[0] += 1
            while len(data) > self.max_entries or self.bytes > self.max_bytes:
                _, (_, evicted) = data.popitem(last=False)
                self._release(evicted)

    def _release(self, record: ResponseRecord) -> None:
        ref = self._refs.get(id(record))
        if ref is None:
            return
        ref[0] -= 1
        if ref[0] <= 0:
            del self._refs[id(record)]
            self.bytes -= ref[1]

    def get(self, key: str) -> ResponseRecord | None:
        with self._lock:
            item = self._data.get(key)
            if item is None:
                return None
            stamp, record = item
            if self._clock() - stamp > self.ttl_seconds:
                del self._data[key]
                self._release(record)
                return None
            return record

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._refs.clear()
            self.bytes = 0
