"""Incremental Server-Sent Events parser (pure, no I/O).

Feed it the raw bytes of a response body in whatever chunks they arrive; it returns the complete
events seen so far as ``(event, data)`` pairs. Lines may end in ``\\n``, ``\\r\\n`` or ``\\r``; a chunk
may split a line anywhere. Only the ``event`` and ``data`` fields are kept (``id``/``retry``/comments
are ignored), as the Messages API uses no others. A single line longer than ``max_line_bytes`` is
dropped (counted in ``oversized_lines``) instead of being buffered without bound.
"""

from __future__ import annotations

__all__ = ["SSEParser"]

# event names of the Messages API, decoded once
_NAMES: dict[bytes, str] = {
    n.encode(): n
    for n in (
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
        "ping",
        "error",
        "message",
    )
}


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
        if b"\n" not in chunk:
            self._append_partial(chunk)
            return out
        buf = self._buf
        if buf:  # the rest of a line begun in an earlier chunk (bounded by max_line_bytes)
            buf += chunk
            chunk = bytes(buf)
            buf.clear()
        lines = chunk.split(b"\n")  # one C-level split; the last item is the unterminated rest
        rest = lines.pop()
        self._lines(lines, out)
        if rest:
            self._append_partial(rest)
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

    def _lines(self, lines: list[bytes], out: list[tuple[str, bytes]]) -> None:
        """Process complete lines (the hot loop: one iteration per line, no call per line)."""
        event = self._event
        data = self._data
        for line in lines:
            if not line:  # blank line: dispatch
                if data:
                    name = _NAMES.get(event) if event else "message"
                    if name is None:
                        name = event.decode("utf-8", "replace")  # type: ignore[union-attr]
                    out.append((name, data[0] if len(data) == 1 else b"\n".join(data)))
                    self.events_seen += 1
                    data = []
                event = None
            elif line.startswith(b"data:"):
                data.append(line[6:] if line[5:6] == b" " else line[5:])
            elif line.startswith(b"event:"):
                event = line[7:] if line[6:7] == b" " else line[6:]
            elif line[:1] != b":":  # other fields (id, retry, a bare "data"): the general form
                field, sep, value = line.partition(b":")
                if sep and value[:1] == b" ":
                    value = value[1:]
                if field == b"data":
                    data.append(value)
                elif field == b"event":
                    event = value
        self._event = event
        self._data = data

    def _line(self, line: bytes, out: list[tuple[str, bytes]]) -> None:
        self._lines([line], out)
