"""Per-process session memory: repeats (retry bursts), stuck sessions and recoveries.

Pure logic around a bounded ``OrderedDict`` (LRU in entries and in bytes; the clock is injected).
The lock guards dictionary operations only.

- A failing attempt *repeats* the previous failure of its session when it comes within
  ``repeat_window`` seconds of the session's last failing attempt and either has the same repeat
  signature (the same conversation, up to what a retry sheds) or says it is a retry
  (``x-stainless-retry-count`` > 0). Repeats belong to the first failure's *burst*: one failure
  experienced, several attempts.
- A session is *stuck* when its last ``stuck_after`` attempts failed with the same category and
  nothing succeeded since; it stops counting as stuck after ``idle_seconds`` without an attempt.
- A success after a failure is a *recovery*, ``via="retry"`` when it comes within the repeat window of
  the failure (a retry cleared it), else ``via="later"`` (a rewind, an edit, time).
"""

from __future__ import annotations

import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["FailureVerdict", "SessionTable", "StuckSession", "SuccessVerdict"]

_ENTRY_OVERHEAD = 320  # bytes of one entry besides its key (object, slots, dict slot), measured roughly


@dataclass(slots=True)
class _Session:
    last_at: float = 0.0
    failed_at: float | None = None  # last failing attempt (None: none since the last success)
    signature: str | None = None
    burst_id: str = ""
    burst_attempts: int = 0
    streak_category: str | None = None
    streak: int = 0
    first_failed_wall: float = 0.0  # wall-clock time of the first failure of the streak
    successes: int = 0
    failures: int = 0


@dataclass(frozen=True, slots=True)
class FailureVerdict:
    repeat: bool  # this attempt repeats the session's previous failure (same burst)
    burst_id: str  # the incident id of the burst's first attempt
    burst_attempt: int  # 0 for the first attempt of a burst, then 1, 2, ...
    streak: int  # consecutive failing attempts with this category, nothing succeeded since
    stuck: bool


@dataclass(frozen=True, slots=True)
class SuccessVerdict:
    recovered: bool
    category: str | None  # the category of the failure recovered from
    via: str  # "retry" | "later" | "" (not a recovery)
    burst_id: str
    burst_attempt: int  # the attempt's index in the burst it ended (0 when not a recovery)


@dataclass(frozen=True, slots=True)
class StuckSession:
    key: str
    category: str
    attempts: int
    since: float  # wall-clock time of the first failure of the streak
    last_burst_id: str


class SessionTable:
    def __init__(
        self,
        *,
        max_entries: int = 10_000,
        max_bytes: int = 8 * 1024 * 1024,
        repeat_window: float = 10.0,
        stuck_after: int = 3,
        idle_seconds: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.repeat_window = repeat_window
        self.stuck_after = max(1, stuck_after)
        self.idle_seconds = idle_seconds
        self._clock = clock
        self._wall = wall
        self._data: OrderedDict[str, _Session] = OrderedDict()
        self._bytes = 0
        self._failing = 0  # sessions whose last outcome was a failure
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._data)

    @property
    def approx_bytes(self) -> int:
        return self._bytes

    @property
    def has_failing(self) -> bool:
        """Some session's last outcome was a failure (a success can only then be a recovery)."""
        return self._failing > 0

    def _entry(self, key: str) -> _Session | None:
        s = self._data.get(key)
        if s is None:
            s = self._data[key] = _Session()
            self._bytes += len(key) + _ENTRY_OVERHEAD
            while self._data and (len(self._data) > self.max_entries or self._bytes > self.max_bytes):
                old_key, old = self._data.popitem(last=False)
                self._bytes -= len(old_key) + _ENTRY_OVERHEAD
                if old.failed_at is not None:
                    self._failing -= 1
                if old is s:  # max_entries 0 / max_bytes tiny: nothing is remembered
                    return None
        else:
            self._data.move_to_end(key)
        return s

    def failure(
        self, key: str | None, signature: str | None, category: str, new_burst_id: str, retry_header: int = 0
    ) -> FailureVerdict:
        """Record a failing attempt; say whether it repeats the session's previous failure."""
        if key is None:
            return FailureVerdict(False, new_burst_id, 0, 1, self.stuck_after <= 1)
        now = self._clock()
        with self._lock:
            s = self._entry(key)
            if s is None:
                return FailureVerdict(False, new_burst_id, 0, 1, self.stuck_after <= 1)
            repeat = (
                s.failed_at is not None
                and now - s.failed_at <= self.repeat_window
                and ((signature is not None and signature == s.signature) or retry_header > 0)
            )
            if repeat:
                s.burst_attempts += 1
            else:
                s.burst_id = new_burst_id
                s.burst_attempts = 0
            if s.failed_at is None:
                self._failing += 1
            if s.failed_at is not None and s.streak_category == category:
                s.streak += 1
            else:
                s.streak_category = category
                s.streak = 1
                s.first_failed_wall = self._wall()
            s.failed_at = now
            s.last_at = now
            s.signature = signature
            s.failures += 1
            return FailureVerdict(
                repeat, s.burst_id, s.burst_attempts, s.streak, s.streak >= self.stuck_after
            )

    def success(self, key: str | None) -> SuccessVerdict:
        """Record a successful attempt; say whether it ends a failure (a recovery)."""
        none = SuccessVerdict(False, None, "", "", 0)
        if key is None:
            return none
        now = self._clock()
        with self._lock:
            s = self._data.get(key) if self._failing == 0 else self._entry(key)
            if s is None:
                return none
            s.last_at = now
            s.successes += 1
            if s.failed_at is None:
                return none
            via = "retry" if now - s.failed_at <= self.repeat_window else "later"
            verdict = SuccessVerdict(True, s.streak_category, via, s.burst_id, s.burst_attempts + 1)
            s.failed_at = None
            s.signature = None
            s.streak = 0
            s.streak_category = None
            s.burst_attempts = 0
            self._failing -= 1
            return verdict

    def stuck(self) -> list[StuckSession]:
        """The sessions stuck now (an attempt within ``idle_seconds``), most recent first."""
        now = self._clock()
        with self._lock:
            out = [
                StuckSession(k, s.streak_category or "", s.streak, s.first_failed_wall, s.burst_id)
                for k, s in self._data.items()
                if s.failed_at is not None
                and s.streak >= self.stuck_after
                and now - s.last_at <= self.idle_seconds
            ]
        out.reverse()
        return out

    def stuck_by_category(self) -> Counter[str]:
        return Counter(s.category for s in self.stuck())
