"""Identifiers shaped like the real API's (msg_…, toolu_…, srvtoolu_…, req_011C…, container_011C…)."""

from __future__ import annotations

import random
import threading

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


class IdFactory:
    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def _token(self, length: int) -> str:
        with self._lock:
            return "".join(self._random.choice(_ALPHABET) for _ in range(length))

    def message(self) -> str:
        return "msg_01" + self._token(22)

    def tool_use(self) -> str:
        return "toolu_01" + self._token(22)

    def server_tool_use(self) -> str:
        return "srvtoolu_01" + self._token(22)

    def request(self) -> str:
        return "req_011C" + self._token(20)

    def container(self) -> str:
        return "container_011C" + self._token(20)
