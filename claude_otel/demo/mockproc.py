"""The mock Messages API in a child process, so it does not compete with the agents for the GIL.

In-process (a uvicorn thread), a streaming agent reads each SSE event through a GIL convoy with the other
agent threads and the server thread: on two cores streaming agents starve. A child process serves from the
other core. ``MockProcess`` has the same shape as ``claude_otel.mock.MockServer``: a context manager with
``base_url``.
"""

from __future__ import annotations

import multiprocessing
import signal
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event as MpEvent
from typing import Any

START_TIMEOUT_S = 120.0  # a loaded machine can take long to import the server in a fresh interpreter


def _serve(config: dict[str, Any], conn: Connection, stop: MpEvent) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    try:
        from claude_otel.mock import MockConfig, MockServer

        with MockServer(MockConfig(**config), host="127.0.0.1", port=0) as server:
            conn.send(("ok", server.base_url))
            stop.wait()
    except BaseException as exc:  # report start-up failures to the parent instead of dying silently
        conn.send(("error", f"{type(exc).__name__}: {exc}"))


class MockProcess:
    def __init__(self, config: dict[str, Any]) -> None:
        self.config = dict(config)
        self._ctx = multiprocessing.get_context("spawn")
        self._stop = self._ctx.Event()
        self._process: Any = None
        self.base_url = ""

    def __enter__(self) -> MockProcess:
        parent, child = self._ctx.Pipe(duplex=False)
        self._process = self._ctx.Process(
            target=_serve, args=(self.config, child, self._stop), name="claude-otel-demo-mock", daemon=True
        )
        self._process.start()
        child.close()
        if not parent.poll(START_TIMEOUT_S):
            self.stop()
            raise RuntimeError(f"the mock server did not start within {START_TIMEOUT_S:.0f} s")
        try:
            status, value = parent.recv()
        except EOFError:
            self.stop()
            raise RuntimeError("the mock server process exited before it started") from None
        if status != "ok":
            self.stop()
            raise RuntimeError(f"the mock server failed to start: {value}")
        self.base_url = value
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self._process is None:
            return
        self._stop.set()
        self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout=5)
        self._process = None
