"""Incremental Server-Sent Events parser (pure, no I/O).

Feed it the raw bytes of a response body in whatever chunks they arrive; it returns the complete
events seen so far as ``(event, data)`` pairs. Lines may end in ``\\n``, ``\\r\\n`` or ``\\r``; a chunk
may split a line anywhere. Only the ``event`` and ``data`` fields are kept (``id``/``retry``/comments
are ignored), as the Messages API uses no others. A single line longer than ``max_line_bytes`` is
dropped (counted in ``oversized_lines``) instead of being buffered without bound.
"""

from __future__ import annotations

__all__ = ["SSEParser"]


class SSEParser:
    __slots__ = ("_buf", "_data", "_event", "_pending_cr", "events_seen", "max_line_bytes", "oversized_lines")

    def __init__(self, max_line_bytes: int = 8 * 1024 * 1024) -> None:
        self._buf = bytearray()
        self._event: bytes | None = None
        self._data: list[bytes] = []
        self._pending_cr = False
        self.max_line_bytes = max_line_bytes
        self.oversized_lines = 0
        self.events_seen = 0

    def feed(self, chunk: bytes) -> list[tuple[str, bytes]]:
        """Consume ``chunk``; return the events completed by it (event name defaults to "message")."""
        out: list[tuple[str, bytes]] = []
        if not chunk:
            return out
        if self._pending_cr and chunk[:1] == b"\n":
            chunk = chunk[1:]
        self._pending_cr = False
        if b"\r" in chunk:
            if chunk.endswith(b"\r"):
                self._pending_cr = True
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        buf = self._buf
        start = 0
        if buf:
            nl = chunk.find(b"\n")
            if nl < 0:
                self._append_partial(chunk)
                return out
            buf += chunk[:nl]
            line = bytes(buf)
            buf.clear()
            self._line(line, out)
            start = nl + 1
        while True:
            nl = chunk.find(b"\n", start)
            if nl < 0:
                break
            self._line(chunk[start:nl], out)
            start = nl + 1
        if start < len(chunk):
            self._append_partial(chunk[start:])
        return out

    def close(self) -> list[tuple[str, bytes]]:
        """End of stream: dispatch a final event not followed by a blank line (lenient)."""
        out: list[tuple[str, bytes]] = []
        if self._buf:
            line = bytes(self._buf)
            self._buf.clear()
            self._line(line, out)
        self._line(b"", out)
        return out

    def _append_partial(self, part: bytes) -> None:
        if len(self._buf) + len(part) > self.max_line_bytes:
            self.oversized_lines += 1
            self._buf.clear()
            self._buf += b":"  # the rest of this line is ignored as a comment
            return
        self._buf += part

    def _line(self, line: bytes, out: list[tuple[str, bytes]]) -> None:
        if not line:
            if self._data or self._event is not None:
                if self._data:
                    name = (self._event or b"message").decode("utf-8", "replace")
                    out.append((name, b"\n".join(self._data)))
                    self.events_seen += 1
                self._event = None
                self._data = []
            return
        if line[:1] == b":":
            return
        field, sep, value = line.partition(b":")
        if sep and value[:1] == b" ":
            value = value[1:]
        if field == b"data":
            self._data.append(value)
        elif field == b"event":
            self._event = value
