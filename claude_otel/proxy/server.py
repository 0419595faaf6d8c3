"""Run an ASGI app under uvicorn on a socket this module binds, in the foreground or in a thread."""

from __future__ import annotations

import asyncio
import socket
import threading
from typing import Any

import uvicorn


def parse_listen(value: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:PORT`` for IPv6, ``:PORT`` for 127.0.0.1) -> (host, port). ValueError if bad."""
    text = value.strip()
    if text.startswith("["):
        host, sep, port = text[1:].partition("]:")
    else:
        host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"--listen must be HOST:PORT (e.g. 127.0.0.1:8787), got {value!r}")
    number = int(port)
    if not 0 <= number <= 65535:
        raise ValueError(f"port must be 0..65535, got {number}")
    return host or "127.0.0.1", number


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening-ready TCP socket bound to (host, port); port 0 picks a free one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must be IPPROTO_TCP (not 0): asyncio only sets TCP_NODELAY on accepted sockets whose proto says
    # TCP, and without it Nagle + delayed ACK add ~40 ms to every response written in several pieces.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def uvicorn_config(app: Any, *, access_log: bool = False, log_level: str = "warning") -> uvicorn.Config:
    """uvicorn settings for a transparent proxy: no Server/Date headers of its own (the upstream's pass
    through), h11 (the app's guarded protocol when it has one), the asyncio loop, lifespan on."""
    # a ProxyApp brings its guarded h11 protocol (header/body timeouts, connection cap: protocol.py)
    make_protocol = getattr(app, "http_protocol", None)
    limits = getattr(getattr(app, "config", None), "max_header_bytes", None)
    return uvicorn.Config(
        app,
        http=make_protocol() if make_protocol is not None else "h11",
        h11_max_incomplete_event_size=limits,
        loop="asyncio",
        lifespan="on",
        server_header=False,
        date_header=False,
        access_log=access_log,
        log_level=log_level,
        timeout_keep_alive=75,
        timeout_graceful_shutdown=5,
    )


class ThreadedServer:
    """uvicorn serving ``app`` from a background thread; ``with ThreadedServer(app) as s: s.base_url``."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0, **config: Any) -> None:
        self._sock = bind_socket(host, port)
        self.host, self.port = self._sock.getsockname()[:2]
        self._server = uvicorn.Server(uvicorn_config(app, **config))
        self._server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self._thread = threading.Thread(target=self._run, name=f"uvicorn-{self.port}", daemon=True)
        self.error: BaseException | None = None

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def _run(self) -> None:
        try:
            asyncio.run(self._server.serve(sockets=[self._sock]))
        except BaseException as exc:  # surfaced by start()
            self.error = exc

    def start(self, timeout: float = 30.0) -> ThreadedServer:
        self._thread.start()
        waited = 0.0
        while not self._server.started:
            if self.error is not None or not self._thread.is_alive():
                raise RuntimeError(f"server failed to start: {self.error!r}")
            if waited > timeout:
                raise RuntimeError("server did not start in time")
            threading.Event().wait(0.01)
            waited += 0.01
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=15)
        self._sock.close()

    def __enter__(self) -> ThreadedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
