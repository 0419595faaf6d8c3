"""One background thread that runs request-body analyses while the application waits on the network.

``submit(fn)`` returns a :class:`Job` at once (or ``enqueue(Job(fn))`` later, when the moment to start
has come); ``job.result()`` gives ``fn()``'s value. Whoever gets
to a job first runs it: the worker, or the caller of ``result()`` if the job is still queued (so a
response never waits behind other requests' analyses). The queue is bounded: when it is full,
``submit`` returns None and the caller analyses inline. The thread is a daemon, started lazily and
again in a forked child (pre-forking servers), and never raises: ``fn`` must not raise either (the
hooks wrap their own work), but an exception escaping it is kept as the job's result error.
Jobs run in submission order, so request N+1's cross-turn check sees what response N recorded.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["AnalysisWorker", "Job"]

_MISSING = object()
_new_lock = threading.Lock  # the C lock: two per job, no Condition, no Event (those are Python code)


class Job:
    __slots__ = ("_claim", "_done", "_error", "_fn", "_value")

    def __init__(self, fn: Callable[[], Any]) -> None:
        self._fn: Callable[[], Any] | None = fn
        self._claim = _new_lock()  # acquired once, never released: who holds it runs the job
        self._done = _new_lock()  # held until the job has run: result() waits by acquiring it
        self._done.acquire()
        self._value: Any = _MISSING
        self._error: BaseException | None = None

    def run(self) -> None:
        """Run the job unless someone else already does (or did)."""
        if not self._claim.acquire(False):
            return
        fn, self._fn = self._fn, None
        try:
            self._value = fn() if fn is not None else None
        except BaseException as exc:  # kept for result(); the worker thread must survive
            self._error = exc
        finally:
            self._done.release()

    @property
    def done(self) -> bool:
        return self._value is not _MISSING or self._error is not None

    @property
    def started(self) -> bool:
        return self._claim.locked()

    def result(self, timeout: float | None = None) -> Any:
        """``fn()``'s value: runs the job here if it has not started, else waits for it.

        Raises TimeoutError after ``timeout`` seconds, or the job's own exception.
        """
        self.run()
        done = self._done
        if not done.acquire(True, -1 if timeout is None else timeout):
            raise TimeoutError("analysis did not finish in time")
        done.release()  # another caller of result() passes too
        if self._error is not None:
            raise self._error
        return self._value


class AnalysisWorker:
    def __init__(self, max_queue: int = 256) -> None:
        self.max_queue = max_queue
        self._pid = -1
        self._queue: queue.SimpleQueue[Job] | None = None
        self._start_lock = threading.Lock()

    def submit(self, fn: Callable[[], Any]) -> Job | None:
        """Queue ``fn``; None if the queue is full (run it yourself)."""
        job = Job(fn)
        return job if self.enqueue(job) else None

    def enqueue(self, job: Job) -> bool:
        """Queue a job made earlier; False if the queue is full (it then runs when its result is asked).

        The queue is a C ``SimpleQueue`` (a put wakes the thread without any Python-level Condition);
        its bound is checked before the put, so concurrent callers may pass it by one each."""
        if job.started:
            return True
        q = self._queue
        if q is None or self._pid != os.getpid():
            q = self._start()
        if q.qsize() >= self.max_queue:
            return False
        q.put(job)
        return True

    def _start(self) -> queue.SimpleQueue[Job]:
        pid = os.getpid()
        if self._pid != pid:  # a forked child inherits neither the thread nor a usable lock
            self._start_lock = threading.Lock()
        with self._start_lock:
            if self._queue is None or self._pid != pid:
                q: queue.SimpleQueue[Job] = queue.SimpleQueue()
                thread = threading.Thread(target=_loop, args=(q,), name="claude-otel-analysis", daemon=True)
                thread.start()
                self._queue, self._pid = q, pid
            return self._queue


def _loop(q: queue.SimpleQueue[Job]) -> None:
    get = q.get
    while True:
        get().run()  # Job.run catches everything
