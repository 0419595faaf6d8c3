"""The SQLite incident store: bounded by rows, bytes and age; written off the request path; a locked file,
an unwritable place or a full queue is counted, never raised; a 1,000-turn history gives a bounded record."""

from __future__ import annotations

import os
import sqlite3
import threading
import time

import orjson
from forensics_support import broken_turn_body

from claude_otel.core import analyze
from claude_otel.incidents.record import MAX_SKELETON_BYTES, build_record
from claude_otel.incidents.store import IncidentStore, IncidentWriter, StoreLimits


def _record(i: int, ts: float | None = None, pad: int = 0) -> dict:
    return {
        "id": f"inc{i:08d}",
        "ts": time.time() if ts is None else ts,
        "kind": "http_error",
        "category": "overloaded",
        "client": "claude-code",
        "session": f"claude-code:s{i % 7}",
        "burst_id": f"inc{i:08d}",
        "pad": "x" * pad,
    }


def test_rows_bytes_and_age_are_bounded(tmp_path):
    store = IncidentStore(tmp_path / "rows.sqlite", StoreLimits(max_rows=100))
    for start in range(0, 1000, 50):
        store.insert(_record(i) for i in range(start, start + 50))
    assert store.rows <= 100
    assert store.db.execute("SELECT count(*) FROM incidents").fetchone()[0] == store.rows
    newest = store.query(limit=1)[0]
    assert newest["id"] == "inc00000999"  # the oldest went first
    store.close()

    limits = StoreLimits(max_bytes=2 * 1024 * 1024, wal_bytes=256 * 1024)
    store = IncidentStore(tmp_path / "bytes.sqlite", limits)
    for start in range(0, 4000, 100):
        store.insert(_record(i, pad=2000) for i in range(start, start + 100))
        assert store.file_bytes() <= limits.max_bytes
    assert 0 < store.rows < 4000
    store.close()

    store = IncidentStore(tmp_path / "age.sqlite", StoreLimits(max_age_seconds=3600))
    now = time.time()
    store.insert([_record(1, ts=now - 7200), _record(2, ts=now)])
    store.trim(now=now + 120)
    assert [r["id"] for r in store.query()] == ["inc00000002"]
    store.close()


def test_the_writer_builds_and_writes_off_the_calling_thread(tmp_path):
    seen: list[str] = []
    writer = IncidentWriter(tmp_path / "w.sqlite")

    def build() -> dict:
        seen.append(threading.current_thread().name)
        return _record(1)

    assert writer.submit(build, 10)
    assert writer.flush(10)
    assert seen == ["claude-otel-incidents"]
    assert writer.written == 1
    writer.close()


def test_a_locked_file_and_an_unwritable_place_are_counted_not_raised(tmp_path):
    trouble: list[tuple[str, str]] = []
    path = tmp_path / "locked.sqlite"
    IncidentStore(path).close()
    holder = sqlite3.connect(str(path), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    writer = IncidentWriter(path, on_trouble=lambda r, d: trouble.append((r, d)))
    assert writer.submit(lambda: _record(1))
    assert writer.flush(20)
    holder.execute("ROLLBACK")
    holder.close()
    assert writer.failed == 1 and trouble and trouble[0][0] == "incident_store_error"
    assert "locked" in trouble[0][1]
    # the next record goes through once the lock is gone
    assert writer.submit(lambda: _record(2)) and writer.flush(20)
    assert writer.written == 1
    writer.close()

    ro = tmp_path / "ro"
    ro.mkdir()
    os.chmod(ro, 0o500)
    try:
        trouble.clear()
        writer = IncidentWriter(ro / "sub" / "x.sqlite", on_trouble=lambda r, d: trouble.append((r, d)))
        assert writer.submit(lambda: _record(1))
        assert writer.flush(10)
        if os.geteuid() != 0:  # root writes anywhere
            assert writer.failed == 1 and trouble[0][0] == "incident_store_error"
        writer.close()
    finally:
        os.chmod(ro, 0o700)


def test_a_full_queue_drops_and_counts(tmp_path):
    trouble: list[str] = []
    gate = threading.Event()
    writer = IncidentWriter(
        tmp_path / "q.sqlite", on_trouble=lambda r, d: trouble.append(r), max_queue=2, max_queue_bytes=10**9
    )

    def slow() -> dict:
        gate.wait(10)
        return _record(0)

    results = [writer.submit(slow)] + [writer.submit(lambda: _record(1)) for _ in range(10)]
    gate.set()
    assert writer.flush(10)
    assert not all(results) and "incident_dropped" in trouble and writer.dropped >= 1
    big = IncidentWriter(
        tmp_path / "b.sqlite", on_trouble=lambda r, d: trouble.append(r), max_queue_bytes=100
    )
    assert not big.submit(lambda: _record(1), size=1000)
    writer.close()


def test_a_thousand_turn_history_gives_a_bounded_windowed_skeleton():
    body = broken_turn_body(extra_turns=1000)
    raw = orjson.dumps(body)
    record = build_record(
        kind="http_error",
        raw=raw,
        user_agent=None,
        betas=None,
        endpoint="messages",
        predicted="error",
        findings=analyze(raw).findings,
        status=400,
    )
    skel = record["skeleton"]
    assert len(orjson.dumps(skel)) <= MAX_SKELETON_BYTES
    shown = [m["i"] for m in skel["messages"] if "i" in m]
    assert shown[0] == 0 and shown[-1] == 2003 and len(shown) < 20
    assert any(m.get("failing") for m in skel["messages"])
    assert sum(m.get("elided", 0) for m in skel["messages"]) + len(shown) == 2004
    assert len(orjson.dumps(record)) < 64 * 1024


def test_one_large_write_stays_within_the_bytes_after_every_commit(tmp_path):
    """Ten times the bound in one call (what a long backlog hands the store): committed in chunks, each
    followed by a trim, so the file and its WAL never pass the bound, seen from outside after every commit
    (before its trim) and after every trim; the newest records are the ones kept."""
    seen: list[int] = []

    class Watched(IncidentStore):
        def trim(self, now=None):
            seen.append(self.file_bytes())  # right after a commit: the high point
            super().trim(now)
            seen.append(self.file_bytes())

    limits = StoreLimits(max_rows=10**9, max_bytes=1024 * 1024)
    store = Watched(tmp_path / "large.sqlite", limits)
    records = [_record(i, ts=time.time() + i * 1e-3, pad=1000) for i in range(10_000)]  # ~10.9 MB
    assert store.insert(records) == 10_000
    assert store.commits >= 32 and len(seen) == 2 * store.commits
    assert max(seen) <= limits.max_bytes and store.peak_bytes == max(seen)
    assert 200 < store.rows < 1000
    assert store.query(limit=1)[0]["id"] == "inc00009999"
    store.close()


LINGER = 1.0  # long enough for a loaded machine; the default is 50 ms


def test_a_burst_of_records_is_written_in_one_transaction(tmp_path, monkeypatch):
    """The writer lingers after the first record of a batch: records submitted together are built on its
    thread and written by one insert (one transaction), not one each."""
    batches: list[int] = []
    real_insert = IncidentStore.insert

    def insert(self, records):
        records = list(records)
        batches.append(len(records))
        return real_insert(self, records)

    monkeypatch.setattr(IncidentStore, "insert", insert)
    writer = IncidentWriter(tmp_path / "burst.sqlite", linger=LINGER)
    for i in range(20):  # failures a few milliseconds apart, like a burst of failing requests
        assert writer.submit(lambda i=i: _record(i), 10)
        time.sleep(0.005)
    assert writer.flush(20)
    assert batches == [20] and writer.written == 20
    writer.close()
