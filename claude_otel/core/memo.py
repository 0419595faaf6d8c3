"""A small memo of values computed from byte strings, keyed by the bytes' length and CRC-32 (read in place,
no copy, no digest): what the incident path computes again and again from the same bytes (a retry's body,
a client's tools[] and system prompt). Thread-safe, the least recently used forgotten first, bounded in
entries and in bytes: an input longer than ``max_input_bytes`` is computed every time, never kept, so the
memo holds at most ``entries`` values made from at most that many bytes each. Content-free by its users'
choice: keep only values that are (digests, skeletons)."""

from __future__ import annotations

import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

__all__ = ["ChecksumMemo"]


class ChecksumMemo:
    def __init__(self, entries: int, max_input_bytes: int | None = None) -> None:
        self.entries = entries
        self.max_input_bytes = max_input_bytes
        self._data: OrderedDict[tuple[Hashable, int, int], Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, data: Any, compute: Callable[[], Any], tag: Hashable = None) -> Any:
        """``compute()``, remembered for ``data`` (bytes, a memoryview or a msgspec Raw) under ``tag``."""
        size = len(data)
        if self.max_input_bytes is not None and size > self.max_input_bytes:
            return compute()
        key = (tag, size, zlib.crc32(data))
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
        value = compute()
        with self._lock:
            self._data[key] = value
            while len(self._data) > self.entries:
                self._data.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)
