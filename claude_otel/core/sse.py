"""Incremental Server-Sent Events parser (pure, no I/O).

Feed it the raw bytes of a response body in whatever chunks they arrive; it returns the complete
events seen so far as ``(event, data)`` pairs. Lines may end in ``\\n``, ``\\r\\n`` or ``\\r``; a chunk
may split a line anywhere. Only the ``event`` and ``data`` fields are kept (``id``/``retry``/comments
are ignored), as the Messages API uses no others. A single line longer than ``max_line_bytes`` is
dropped (counted in ``oversized_lines``) instead of being buffered without bound.

The complete lines of a chunk are cut into events at their blank lines with one C-level split; an event
in the form the Messages API sends (``event: NAME`` then one ``data: ...`` line) is read with two
slices, any other form goes through the line-by-line reading of the spec. ``drop`` names events that
are not wanted (``content_block_delta``) unless their text contains one of the ``unless`` markers
(``b"thinking_delta"``): they are counted in ``dropped`` and never sliced out nor returned. After one
scan of the chunk for the markers, those in the API's form all go in one regular-expression pass when
no marker is there (a live stream's text deltas: no Python step per delta), else with one ``startswith``
and a marker test each. A dropped event is always one the line-by-line reading would have returned
under that name (property-tested against it, cut anywhere).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

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


@lru_cache(maxsize=16)
def _dropping(drop: tuple[str, ...]) -> tuple[tuple[bytes, ...] | None, re.Pattern[bytes] | None]:
    """For the events named in ``drop``: their "event: NAME\\ndata:" starts (one startswith() per event)
    and the pattern of such an event in the API's form, with the blank line before it (once per set)."""
    if not drop:
        return None, None
    names = b"|".join(re.escape(name.encode()) for name in drop)
    starts = tuple(f"event: {name}\ndata:".encode() for name in drop)
    return starts, re.compile(b"\n\nevent: (?:%s)\ndata:[^\n]*(?=\n\n)" % names)


class SSEParser:
    __slots__ = (
        "_buf",
        "_data",
        "_drop",
        "_drop_re",
        "_event",
        "_pending_cr",
        "_unless",
        "dropped",
        "events_seen",
        "max_line_bytes",
        "oversized_lines",
    )

    def __init__(
        self,
        max_line_bytes: int = 8 * 1024 * 1024,
        drop: Iterable[str] = (),
        unless: Iterable[bytes] = (),
    ) -> None:
        self._buf = bytearray()
        self._event: bytes | None = None
        self._data: list[bytes] = []
        self._pending_cr = False
        self._drop, self._drop_re = _dropping(tuple(drop))
        self._unless = tuple(unless)
        self.max_line_bytes = max_line_bytes
        self.oversized_lines = 0
        self.events_seen = 0
        self.dropped = 0  # events named in ``drop`` and left out (counted in events_seen too)

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
            text = bytes(buf)
            buf.clear()
        else:
            text = chunk
            drop = self._drop
            if (  # one whole event to drop, the usual chunk of a live stream: one startswith, two counts
                drop is not None
                and text.startswith(drop)
                and text.endswith(b"\n\n")
                and text.count(b"\n") == 3
                and self._event is None
                and not self._data
            ):
                for marker in self._unless:
                    if marker in text:
                        break
                else:
                    self.dropped += 1
                    self.events_seen += 1
                    return out
        end = text.rfind(b"\n") + 1  # text[:end]: complete lines; text[end:]: the unterminated rest
        pos = 0
        if self._event is not None or self._data:  # inside an event: read its lines up to its end
            if text[:1] == b"\n":
                self._lines([b""], out)
                pos = 1
            else:
                i = text.find(b"\n\n", 0, end)
                if i < 0:
                    self._lines(text[: end - 1].split(b"\n"), out)
                    pos = end
                else:
                    lines = text[:i].split(b"\n")
                    lines.append(b"")
                    self._lines(lines, out)
                    pos = i + 2
        if pos < end:
            self._events(text[pos:end] if pos or end < len(text) else text, out)
        if end < len(text):
            self._append_partial(text[end:])
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

    def _events(self, text: bytes, out: list[tuple[str, bytes]]) -> None:
        """Complete lines (``text`` ends with a line break) that begin at an event's start, with no event
        begun: one C-level split at the blank lines, then one iteration per event (the hot loop)."""
        drop = self._drop
        dropped = 0
        if drop is not None:
            for marker in self._unless:  # one scan of the whole text instead of one per event
                if marker in text:
                    break  # look for the markers in each event to drop (below)
            else:
                # no marker: every event to drop in the API's form goes in one C-level pass (a blank
                # line, "event: NAME", one "data:" line, up to the next blank line)
                text, dropped = self._drop_re.subn(b"", b"\n\n" + text)  # type: ignore[union-attr]
                if text.startswith(b"\n\n"):
                    text = text[2:]
                drop = None
        blocks = text.split(b"\n\n")
        last = blocks.pop()  # lines of an event not ended yet ("" when text ends with a blank line)
        start = len(out)
        seen = self.events_seen
        names = _NAMES
        fast = inner = 0
        by_pattern = dropped  # (dropped by the pattern above: not part of the check below)
        for block in blocks:
            if drop is not None and block.startswith(drop):
                for marker in self._unless:
                    if marker in block:
                        break
                else:
                    dropped += 1
                    continue
            n = block.count(b"\n")
            inner += n
            # the Messages API form: "event: NAME" and one "data: ..." line
            if n == 1 and block.startswith(b"event:"):
                nl = block.find(b"\n")
                if block.startswith(b"data:", nl + 1):
                    event = block[7:nl] if block[6:7] == b" " else block[6:nl]
                    name = names.get(event) if event else "message"
                    if name is None:
                        name = event.decode("utf-8", "replace")
                    out.append((name, block[nl + 7 :] if block[nl + 6 : nl + 7] == b" " else block[nl + 6 :]))
                    fast += 1
                    continue
            lines = block.split(b"\n")
            lines.append(b"")
            self._lines(lines, out)
        # a dropped event began "event: NAME\ndata:"; it was that one event only if that was its only line
        # break, which holds for all of them iff the line breaks add up: else read the text line by line
        if (
            dropped > by_pattern
            and text.count(b"\n") - 2 * len(blocks) - last.count(b"\n") - inner != dropped - by_pattern
        ):
            del out[start:]
            self.events_seen = seen  # (nothing was dropped by the pattern: drop was checked per event)
            self._event, self._data = None, []
            lines = text.split(b"\n")
            lines.pop()  # "" after the final line break
            self._lines(lines, out)
            return
        self.events_seen += fast + dropped
        self.dropped += dropped
        if last:
            lines = last.split(b"\n")
            lines.pop()
            self._lines(lines, out)

    def _lines(self, lines: list[bytes], out: list[tuple[str, bytes]]) -> None:
        """Process complete lines, one iteration per line (events in any form the spec allows)."""
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
