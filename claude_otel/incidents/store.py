"""The incident store: a local SQLite file (stdlib ``sqlite3``, WAL), bounded by rows, bytes and age.

``IncidentStore`` is the file (open, insert a batch, trim, query). ``IncidentWriter`` is the edge the
request path talks to: ``submit()`` puts a job on a bounded queue (bounded in entries and in the bytes of
request bodies it holds) and returns at once; one daemon thread builds the records (``build`` runs there,
off the request path) and writes them in batches: it lingers ``linger`` seconds (50 ms) after the first
job of a batch for more, then writes the batch in one transaction. Trouble (a full disk, a locked file, a
full queue) is reported to ``on_trouble(reason, detail)`` and never raised.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from claude_otel.core.gcpause import gc_paused

__all__ = ["IncidentStore", "IncidentWriter", "StoreLimits", "default_path", "open_readonly"]

_ROW_OVERHEAD = 64  # bytes of a row besides its record: key, columns, index entries (roughly)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS incidents (
    id TEXT PRIMARY KEY,
    ts REAL NOT NULL,
    kind TEXT NOT NULL,
    category TEXT,
    client TEXT,
    session TEXT,
    burst_id TEXT,
    record BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS incidents_ts ON incidents (ts);
CREATE INDEX IF NOT EXISTS incidents_session ON incidents (session);
CREATE INDEX IF NOT EXISTS incidents_burst ON incidents (burst_id);
"""


def default_path() -> Path:
    """``$XDG_STATE_HOME/claude-otel/incidents.sqlite`` (``~/.local/state/...`` by default)."""
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "claude-otel" / "incidents.sqlite"


@dataclass(frozen=True)
class StoreLimits:
    max_rows: int = 100_000
    max_bytes: int = 256 * 1024 * 1024  # the database file and its WAL together
    max_age_seconds: float = 30 * 86400.0
    wal_bytes: int = 4 * 1024 * 1024  # the WAL is truncated to this after checkpoints


class IncidentStore:
    """One SQLite file. Not thread-safe: one thread uses it (the writer's, or a reader's)."""

    def __init__(self, path: str | os.PathLike[str], limits: StoreLimits | None = None) -> None:
        self.path = Path(path)
        self.limits = limits or StoreLimits()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(self.path), timeout=1.0, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA auto_vacuum = INCREMENTAL")  # before the first table: file shrinks on trim
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = NORMAL")
        # the WAL's share: at most a sixteenth of the bound (a small store keeps room for rows)
        self._wal_bytes = max(64 * 1024, min(int(self.limits.wal_bytes), int(self.limits.max_bytes) // 16))
        self.db.execute(f"PRAGMA journal_size_limit = {self._wal_bytes}")
        self._page = page = self.db.execute("PRAGMA page_size").fetchone()[0]
        self.db.execute(f"PRAGMA wal_autocheckpoint = {max(16, self._wal_bytes // page)}")
        self.db.executescript(_SCHEMA)
        self.rows = self.db.execute("SELECT count(*) FROM incidents").fetchone()[0]
        self._last_age_trim = 0.0
        self._batch_bytes = 0  # the largest chunk written: room kept for the next one (file and WAL)
        self._chunk_bytes = max(1, int(self.limits.max_bytes) // 32)
        self.commits = 0
        self.peak_bytes = self.file_bytes()  # the largest file + WAL seen after a commit or a trim

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.db.close()

    def file_bytes(self) -> int:
        total = 0
        for suffix in ("", "-wal"):
            with contextlib.suppress(OSError):
                total += os.path.getsize(str(self.path) + suffix)
        return total

    def _used_bytes(self) -> int:
        # one statement (each costs the writer thread a GIL round trip, with cold caches between batches)
        pages, free = self.db.execute("SELECT * FROM pragma_page_count(), pragma_freelist_count()").fetchone()
        return (pages - free) * self._page

    def insert(self, records: Iterable[dict[str, Any]]) -> int:
        """Write records, in chunks of at most ``max_bytes / 32`` each committed and followed by a trim:
        however many records one call brings, the file and its WAL stay within ``max_bytes`` after every
        commit (a single transaction of everything would grow the WAL past any bound)."""
        rows = [
            (
                r["id"],
                r["ts"],
                r["kind"],
                r.get("category"),
                r.get("client"),
                r.get("session"),
                r.get("burst_id"),
                orjson.dumps(r),
            )
            for r in records
        ]
        cap = self._chunk_bytes
        start = 0
        while start < len(rows):
            end, size = start, 0
            while end < len(rows) and (end == start or size + len(rows[end][7]) + _ROW_OVERHEAD <= cap):
                size += len(rows[end][7]) + _ROW_OVERHEAD
                end += 1
            self._commit(rows[start:end], size)
            start = end
        return len(rows)

    def _commit(self, rows: list[tuple[Any, ...]], size: int) -> None:
        self._batch_bytes = max(self._batch_bytes, size)
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.executemany("INSERT OR REPLACE INTO incidents VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
            self.db.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                self.db.execute("ROLLBACK")
            raise
        self.commits += 1
        self.rows += len(rows)
        self.peak_bytes = max(self.peak_bytes, self.file_bytes())  # the high point: before the trim
        self.trim()
        self.peak_bytes = max(self.peak_bytes, self.file_bytes())

    def trim(self, now: float | None = None) -> None:
        """Keep within max_rows, max_bytes (oldest first) and max_age_seconds."""
        lim = self.limits
        now = time.time() if now is None else now
        deleted = False
        if now - self._last_age_trim > 60.0:
            self._last_age_trim = now
            cur = self.db.execute("DELETE FROM incidents WHERE ts < ?", (now - lim.max_age_seconds,))
            deleted = cur.rowcount > 0
        if self.rows > lim.max_rows:
            self._delete_oldest(self.rows - lim.max_rows + max(1, lim.max_rows // 20))
            deleted = True
        # the file's pages in use (not the file, which keeps free pages until vacuumed) against 80% of the
        # budget less the WAL's share: the rest is room for the WAL and the next batch
        budget = int(lim.max_bytes * 0.8) - self._wal_bytes - 2 * self._batch_bytes
        for _ in range(64):
            if self._used_bytes() <= budget or self.rows == 0:
                break
            self._delete_oldest(max(1, self.rows // 10))
            deleted = True
        if deleted:
            self.rows = self.db.execute("SELECT count(*) FROM incidents").fetchone()[0]
            self.db.execute("PRAGMA incremental_vacuum")
        if deleted or self._wal_size() > self._wal_bytes:
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _wal_size(self) -> int:
        try:
            return os.path.getsize(str(self.path) + "-wal")
        except OSError:
            return 0

    def _delete_oldest(self, n: int) -> None:
        self.db.execute(
            "DELETE FROM incidents WHERE rowid IN (SELECT rowid FROM incidents ORDER BY ts LIMIT ?)", (n,)
        )

    # -- reading ----------------------------------------------------------------------------------

    def query(
        self,
        *,
        since: float | None = None,
        category: str | None = None,
        client: str | None = None,
        session: str | None = None,
        burst_id: str | None = None,
        limit: int = 1000,
        newest_first: bool = True,
    ) -> list[dict[str, Any]]:
        where, args = [], []
        for column, value in (("category", category), ("client", client), ("burst_id", burst_id)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        if session is not None:
            where.append("(session = ? OR session LIKE ?)")
            args += [session, f"%:{session}"]
        if since is not None:
            where.append("ts >= ?")
            args.append(since)
        sql = "SELECT record FROM incidents"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += f" ORDER BY ts {'DESC' if newest_first else 'ASC'}, rowid LIMIT ?"
        args.append(limit)
        return [orjson.loads(row[0]) for row in self.db.execute(sql, args)]

    def get(self, incident_id: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT record FROM incidents WHERE id = ?", (incident_id,)).fetchone()
        if row is None:  # a unique prefix is enough
            found = self.db.execute(
                "SELECT record FROM incidents WHERE id LIKE ? LIMIT 2", (incident_id + "%",)
            ).fetchall()
            row = found[0] if len(found) == 1 else None
        return orjson.loads(row[0]) if row else None

    def iter_all(self) -> Iterator[dict[str, Any]]:
        for row in self.db.execute("SELECT record FROM incidents ORDER BY ts, rowid"):
            yield orjson.loads(row[0])


def open_readonly(path: str | os.PathLike[str]) -> IncidentStore:
    """A store for reading an existing file (the CLI): no trimming, no schema change if it exists."""
    if not Path(path).exists():
        raise FileNotFoundError(str(path))
    return IncidentStore(path)


@dataclass
class _Job:
    build: Callable[[], dict[str, Any] | None]
    size: int
    after: Callable[[dict[str, Any]], None] | None = None


_STOP = object()


class IncidentWriter:
    """Bounded queue + one writer thread in front of an IncidentStore (see the module doc)."""

    def __init__(
        self,
        path: str | os.PathLike[str] | None,
        limits: StoreLimits | None = None,
        *,
        on_trouble: Callable[[str, str], None] = lambda reason, detail: None,
        max_queue: int = 1024,
        max_queue_bytes: int = 64 * 1024 * 1024,
        linger: float = 0.05,
        max_batch: int = 256,
    ) -> None:
        self.path = Path(path) if path is not None else None  # None: records go to ``after`` only
        self.limits = limits or StoreLimits()
        self._trouble = on_trouble
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max_queue)
        self._max_queue_bytes = max_queue_bytes
        self._linger = linger
        self._max_batch = max_batch
        self._queued_bytes = 0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        self.written = 0
        self.dropped = 0
        self.failed = 0
        self._idle = threading.Event()
        self._idle.set()
        atexit.register(self.close, 2.0)

    def submit(
        self,
        build: Callable[[], dict[str, Any] | None],
        size: int = 0,
        after: Callable[[dict[str, Any]], None] | None = None,
    ) -> bool:
        """Queue one record (``build()`` makes it on the writer thread). False when dropped. Never raises."""
        try:
            with self._lock:
                if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                    self._start()
                if self._queued_bytes + size > self._max_queue_bytes:
                    raise queue.Full
                self._queue.put_nowait(_Job(build, size, after))
                self._queued_bytes += size
                self._idle.clear()
            return True
        except queue.Full:
            self.dropped += 1
            self._trouble("incident_dropped", "the incident queue is full")
            return False
        except Exception as exc:
            self.dropped += 1
            self._trouble("incident_dropped", type(exc).__name__)
            return False

    def _start(self) -> None:
        self._pid = os.getpid()
        self._thread = threading.Thread(target=self._run, name="claude-otel-incidents", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        store: IncidentStore | None = None
        while True:
            item = self._queue.get()
            batch = [item]
            # linger: the records of a burst of failures go into one transaction, and the thread wakes once
            # per batch. It sleeps rather than waiting on the queue: a put then wakes no one, and the requests
            # that keep failing meanwhile do not hand the GIL to this thread once each
            if item is not _STOP and self._linger > 0 and self._queue.qsize() < self._max_batch - 1:
                time.sleep(self._linger)  # (a full batch waiting already: no lingering)
            while len(batch) < self._max_batch and batch[-1] is not _STOP:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stop = any(i is _STOP for i in batch)
            jobs = [i for i in batch if i is not _STOP]
            records: list[dict[str, Any]] = []
            afters: list[tuple[Callable[[dict[str, Any]], None], dict[str, Any]]] = []
            held = time.perf_counter()
            for job in jobs:
                # give the GIL back between records once a millisecond has gone by: a request whose answer
                # came in waits about that long, not the interpreter's 5 ms switch interval (and cheap
                # records, a burst's repeats, do not pay a yield each)
                if time.perf_counter() - held > 0.001:
                    time.sleep(0)
                    held = time.perf_counter()
                with self._lock:
                    self._queued_bytes -= job.size
                try:
                    with gc_paused():  # its containers are freed by reference counting (see gcpause)
                        record = job.build()
                except Exception as exc:
                    self._trouble("incident_store_error", f"building a record: {type(exc).__name__}")
                    continue
                if record is not None:
                    records.append(record)
                    if job.after is not None:
                        afters.append((job.after, record))
            if records and self.path is not None:
                try:
                    if store is None:
                        store = IncidentStore(self.path, self.limits)
                    store.insert(records)
                    self.written += len(records)
                except (sqlite3.Error, OSError) as exc:  # locked, full disk, unwritable: counted
                    self.failed += len(records)
                    self._trouble("incident_store_error", f"{type(exc).__name__}: {exc}"[:200])
                    if store is not None:
                        store.close()
                        store = None
                except Exception as exc:
                    self.failed += len(records)
                    self._trouble("incident_store_error", type(exc).__name__)
            for after, record in afters:
                with contextlib.suppress(Exception):
                    after(record)
            if self._queue.empty():
                self._idle.set()
            if stop:
                if store is not None:
                    store.close()
                return

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything queued so far is written (for tests and the CLI)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._idle.wait(0.05) and self._queue.empty():
                # the thread sets idle after the batch it holds: one more short wait covers the race
                time.sleep(0.01)
                if self._queue.empty() and self._idle.is_set():
                    return True
        return False

    def close(self, timeout: float = 5.0) -> None:
        thread = self._thread
        if thread is None or not thread.is_alive() or self._pid != os.getpid():
            return
        with contextlib.suppress(queue.Full):
            self._queue.put(_STOP, timeout=timeout)
        thread.join(timeout)
