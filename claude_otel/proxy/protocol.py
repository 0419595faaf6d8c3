"""uvicorn's h11 protocol with the limits a network service needs: a deadline for the request head, an
idle timeout while the body arrives, and a cap on client connections, answered in the API's error format.

- **Head deadline**: from the moment a connection is idle-before-a-request (accepted, or the first byte of
  the next request on a kept-alive connection) to the end of the request head: ``header_timeout`` seconds,
  however slowly the bytes come. Then the connection is closed (uvicorn itself has no such timeout).
- **Body idle timeout**: no body byte for ``body_timeout`` seconds while the proxy waits for the body: the
  connection is closed (the application sees ``http.disconnect``).
- **Connection cap**: beyond ``max_connections`` open client connections, a new connection's request is
  answered 503 ``overloaded_error`` with ``retry-after`` and the connection closed (as uvicorn's own
  ``limit_concurrency`` does, but in the API's format and counted); beyond that cap plus a margin
  (``max_connections // 8 + 16``), the 503 is written at once and the connection closed without reading.
- uvicorn's own knobs do the rest: ``h11_max_incomplete_event_size`` (the request head's size),
  ``timeout_keep_alive``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["ServerLimits", "guarded_protocol"]

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]


@dataclass(frozen=True)
class ServerLimits:
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    max_connections: int = 1024
    max_header_bytes: int = 64 * 1024
    keep_alive_timeout: int = 75

    @property
    def hard_max_connections(self) -> int:
        return self.max_connections + self.max_connections // 8 + 16


def guarded_protocol(limits: ServerLimits, refuse: ASGIApp, raw_refusal: bytes) -> type[H11Protocol]:
    """An H11Protocol subclass enforcing ``limits``; ``refuse`` answers requests over the connection cap,
    ``raw_refusal`` (a whole HTTP/1.1 response) is written to connections over the hard cap."""

    class GuardedH11Protocol(H11Protocol):
        _deadline: asyncio.TimerHandle | None = None
        _phase: str = ""

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            open_now = len(self.connections)
            if open_now >= limits.hard_max_connections:
                transport.write(raw_refusal)
                transport.close()
                return
            super().connection_made(transport)
            if open_now >= limits.max_connections:
                self.app = refuse  # uvicorn reads self.app when the request head is complete
            self._arm("head", limits.header_timeout)

        def data_received(self, data: bytes) -> None:
            if self._phase == "" and self.conn.their_state is h11.IDLE:
                self._arm("head", limits.header_timeout)  # the first byte of a kept-alive request
            super().data_received(data)
            state = self.conn.their_state
            if state is h11.SEND_BODY:
                self._arm("body", limits.body_timeout)  # idle timeout: re-armed on every byte
            elif state is not h11.IDLE:
                self._disarm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            if self.transport is None:  # refused in connection_made: never registered
                return
            super().connection_lost(exc)

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._disarm()  # idle between requests: uvicorn's keep-alive timeout applies

        def _arm(self, phase: str, seconds: float) -> None:
            if phase == "head" and self._phase == "head":
                return  # a deadline, not an idle timeout
            self._disarm()
            self._phase = phase
            self._deadline = self.loop.call_later(seconds, self._expired)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None
            self._phase = ""

        def _expired(self) -> None:
            self._deadline = None
            self._phase = ""
            if not self.transport.is_closing():
                self.transport.close()

    return GuardedH11Protocol
