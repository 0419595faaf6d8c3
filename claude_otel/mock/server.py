"""``MockServer``: the mock app served by uvicorn in a background thread, on a loopback port."""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from types import TracebackType

import uvicorn

from .app import MockState, create_app
from .config import MockConfig


class MockServer:
    """Context manager running the mock on ``host:port`` (port 0 picks a free one).

    >>> with MockServer(MockConfig()) as server:
    ...     client = anthropic.Anthropic(base_url=server.base_url, api_key="test")
    """

    def __init__(self, config: MockConfig | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.config = config or MockConfig()
        self.app = create_app(self.config)
        self.host = host
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # proto=IPPROTO_TCP: asyncio only sets TCP_NODELAY on accepted sockets whose proto says TCP;
        # without it every response waits ~40 ms for a delayed ACK
        self._socket = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self._socket.bind((host, port))
        except OSError as exc:
            self._socket.close()
            raise OSError(f"mock server cannot listen on {host}:{port}: {exc.strerror}") from exc
        self.port: int = self._socket.getsockname()[1]
        uv_config = uvicorn.Config(
            self.app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=2
        )
        self._server = uvicorn.Server(uv_config)
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def stats(self) -> Counter[str]:
        """Counts of what the server saw and answered (content-free): ``requests``, ``error:<rule id or
        error type>``, ``stop_reason:<reason>``, ``tool_results`` and ``tool_result_errors`` (results in the
        last user turn), ``beta_requests`` (``?beta=true``), ``stream_requests``, ``system_role_requests``,
        ``thread_requests``, ``not_found``."""
        state: MockState = self.app.state.mock
        return state.stats

    def start(self, timeout: float = 10.0) -> MockServer:
        if self._thread is not None:
            return self
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name="claude-otel-mock", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"mock server did not start on {self.base_url}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
            self._thread = None
        self._socket.close()

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
