"""The mock Messages API behind a recording ASGI wrapper, for ``record.py`` (never used by the package).

Every request to ``/v1/messages`` is kept as it arrived (the body's bytes, the user-agent, the beta list)
with the scenario that was running and the status the mock answered. The mock itself is unchanged: one
app, whose scripted behaviour (``MockConfig``) the recorder swaps between scenarios, so every thinking
signature in the corpus was issued by this mock's default signing key and verifies on any mock with it.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import uvicorn

from claude_otel.mock import MockConfig, create_app

RECORDED_PATHS = ("/v1/messages",)


@dataclass
class Exchange:
    scenario: str
    client: str
    path: str
    user_agent: str
    betas: list[str]
    retry_count: str | None
    body: bytes
    status: int | None


class RecordingMock:
    """The mock app on a loopback port; ``exchanges`` grows as clients send requests."""

    def __init__(self) -> None:
        self.app = create_app(MockConfig())
        self.exchanges: list[Exchange] = []
        self.scenario = "unnamed"
        self.client = "unknown"
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.bind(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        config = uvicorn.Config(
            self._asgi, log_level="warning", access_log=False, lifespan="off", interface="asgi3"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def configure(self, client: str, scenario: str, config: MockConfig) -> None:
        """Name what runs next and script the mock for it (the signing key stays the default)."""
        self.client, self.scenario = client, scenario
        self.app.state.mock.config = config

    async def _asgi(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] not in RECORDED_PATHS:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        status: list[int] = []

        async def receive_recorded() -> Any:
            message = await receive()
            if message["type"] == "http.request":
                chunks.append(message.get("body", b""))
            return message

        async def send_recorded(message: Any) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        await self.app(scope, receive_recorded, send_recorded)
        betas = [b.strip() for b in headers.get("anthropic-beta", "").split(",") if b.strip()]
        self.exchanges.append(
            Exchange(
                scenario=self.scenario,
                client=self.client,
                path=scope["path"],
                user_agent=headers.get("user-agent", ""),
                betas=betas,
                retry_count=headers.get("x-stainless-retry-count"),
                body=b"".join(chunks),
                status=status[0] if status else None,
            )
        )

    def __enter__(self) -> RecordingMock:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the recording mock did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()
