"""Thinking signatures the mock issues, and the record of which blocks each response carried.

A signature proves two things separately: that this server issued it (D4 otherwise) and that the
thinking text is the one it was issued for (D3 otherwise). Both are HMACs under the configured key, so
they survive a restart; the per-response record (for dropped or reordered blocks) lives in memory.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass

_MAGIC = b"MOCK"
_NONCE = 12
_TAG = 16


@dataclass(frozen=True)
class Issued:
    response_id: str
    position: int
    total: int


class ThinkingLedger:
    def __init__(self, key: str, max_entries: int = 50_000) -> None:
        self._key = key.encode()
        self._max = max_entries
        self._records: OrderedDict[str, Issued] = OrderedDict()
        self._lock = threading.Lock()

    def _tag(self, *parts: bytes) -> bytes:
        return hmac.new(self._key, b"\x00".join(parts), hashlib.sha256).digest()[:_TAG]

    def sign(self, thinking: str) -> str:
        nonce = os.urandom(_NONCE)
        digest = hashlib.sha256(thinking.encode()).digest()
        raw = _MAGIC + nonce + self._tag(b"issued", nonce) + self._tag(b"text", nonce, digest)
        return base64.b64encode(raw).decode()

    def _decode(self, signature: object) -> tuple[bytes, bytes, bytes] | None:
        if not isinstance(signature, str):
            return None
        try:
            raw = base64.b64decode(signature, validate=True)
        except (ValueError, TypeError):
            return None
        if len(raw) != len(_MAGIC) + _NONCE + 2 * _TAG or not raw.startswith(_MAGIC):
            return None
        body = raw[len(_MAGIC) :]
        return body[:_NONCE], body[_NONCE : _NONCE + _TAG], body[_NONCE + _TAG :]

    def issued(self, signature: object) -> bool:
        """True when this server (same key) issued the signature."""
        parts = self._decode(signature)
        return parts is not None and hmac.compare_digest(parts[1], self._tag(b"issued", parts[0]))

    def matches(self, signature: object, thinking: object) -> bool:
        """True when the signature was issued for exactly this thinking text."""
        parts = self._decode(signature)
        if parts is None or not isinstance(thinking, str):
            return False
        digest = hashlib.sha256(thinking.encode()).digest()
        return hmac.compare_digest(parts[2], self._tag(b"text", parts[0], digest))

    def record(self, response_id: str, signatures: list[str]) -> None:
        with self._lock:
            for position, signature in enumerate(signatures):
                self._records[signature] = Issued(response_id, position, len(signatures))
            while len(self._records) > self._max:
                self._records.popitem(last=False)

    def lookup(self, signature: str) -> Issued | None:
        with self._lock:
            return self._records.get(signature)
