"""The SSE parser's batched line loop against the per-line reading of the SSE spec, on arbitrary streams
cut into arbitrary chunks: same events, same names, same data."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from claude_otel.core.sse import SSEParser


def reference_events(raw: bytes) -> list[tuple[str, bytes]]:
    """The SSE spec, line by line: the event stream interpretation the parser must reproduce."""
    text = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    lines = text.split(b"\n")
    lines.pop()  # an unterminated last line is handled by close(): see below
    out: list[tuple[str, bytes]] = []
    event: bytes | None = None
    data: list[bytes] = []

    def line_(line: bytes) -> None:
        nonlocal event, data
        if not line:
            if data:
                out.append(((event or b"message").decode("utf-8", "replace"), b"\n".join(data)))
            event, data = None, []
            return
        if line[:1] == b":":
            return
        field, sep, value = line.partition(b":")
        if sep and value[:1] == b" ":
            value = value[1:]
        if field == b"data":
            data.append(value)
        elif field == b"event":
            event = value

    for line in lines:
        line_(line)
    rest = text.rsplit(b"\n", 1)[-1] if b"\n" in text else text
    if rest:
        line_(rest)
    line_(b"")
    return out


LINE = st.one_of(
    st.sampled_from(
        [
            b"event: message_start",
            b"event: content_block_delta",
            b"event:ping",
            b"event: custom_\xc3\xa9",
            b"event:",
            b"event",
            b'data: {"type": "x"}',
            b"data:no-space",
            b"data:  two spaces",
            b"data",
            b"data:",
            b": a comment",
            b":",
            b"id: 7",
            b"retry: 100",
            b"datax: not data",
            b"",
        ]
    ),
    st.binary(max_size=12).filter(lambda b: b"\n" not in b and b"\r" not in b),
)
EOL = st.sampled_from([b"\n", b"\r\n", b"\r"])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(LINE, EOL), max_size=40),
    st.booleans(),
    st.lists(st.integers(min_value=1, max_value=17), max_size=60),
)
def test_batched_parser_matches_the_spec_reading(
    lines: list[tuple[bytes, bytes]], unterminated: bool, cuts: list[int]
) -> None:
    raw = b"".join(line + eol for line, eol in lines)
    if unterminated and lines:
        raw += lines[0][0]
    parser, got, pos = SSEParser(), [], 0
    for n in cuts:
        got += parser.feed(raw[pos : pos + n])
        pos += n
    got += parser.feed(raw[pos:])
    got += parser.close()
    assert got == reference_events(raw)


def test_an_oversized_line_is_dropped_and_the_stream_goes_on() -> None:
    parser = SSEParser(max_line_bytes=64)
    got = parser.feed(b"event: a\ndata: " + b"x" * 50)
    got += parser.feed(b"y" * 50)  # the line is now over the cap: dropped
    got += parser.feed(b"\n\nevent: b\ndata: ok\n\n")
    assert got == [("b", b"ok")]
    assert parser.oversized_lines == 1


# --- dropping events the caller does not want (the observer's text and input deltas) ------------------

DROP = ("content_block_delta",)
UNLESS = (b"thinking_delta", b"signature_delta")
EVENT = st.sampled_from(
    [
        b'event: content_block_delta\ndata: {"delta": {"type": "text_delta", "text": "hi"}}\n\n',
        b'event: content_block_delta\ndata: {"delta": {"type": "thinking_delta"}}\n\n',
        b'event: content_block_delta\ndata: {"delta": {"type": "signature_delta"}}\n\n',
        b"event: content_block_delta\ndata: a\ndata: b\n\n",  # two data lines: not the API's form
        b"event: content_block_delta\ndata: x\nevent: message_start\n\n",  # renamed by a later line
        b"event: content_block_delta\n\n",  # no data: no event
        b"event:content_block_delta\ndata: no space\n\n",
        b'event: message_start\ndata: {"message": {}}\n\n',
        b"event: ping\ndata: {}\n\n",
        b'event: error\ndata: {"error": {"type": "overloaded_error"}}\n\n',
        b"data: nameless\n\n",
        b"\n",
        b": comment\n",
    ]
)


def _kept(events: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """What a caller dropping text/input deltas must still get: every other event, in order."""
    return [
        (name, data)
        for name, data in events
        if name != "content_block_delta" or any(m in data for m in UNLESS)
    ]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(EVENT, st.tuples(LINE, EOL).map(b"".join)), max_size=40),
    st.lists(st.integers(min_value=1, max_value=90), max_size=60),
)
def test_dropping_parser_keeps_every_other_event(parts: list[bytes], cuts: list[int]) -> None:
    raw = b"".join(parts)
    parser, got, pos = SSEParser(drop=DROP, unless=UNLESS), [], 0
    for n in cuts:
        got += parser.feed(raw[pos : pos + n])
        pos += n
    got += parser.feed(raw[pos:])
    got += parser.close()
    reference = reference_events(raw)
    assert _kept(got) == _kept(reference)
    # only text/input deltas are dropped; every event returned is one of the stream's
    assert len(got) + parser.dropped == len(reference) == parser.events_seen
    assert all(e in reference for e in got)


def test_an_event_cut_at_every_byte_gives_the_same_events() -> None:
    raw = b"".join(
        [
            b'event: message_start\ndata: {"message": {"id": "msg_1"}}\n\n',
            b'event: content_block_delta\ndata: {"delta": {"type": "text_delta", "text": "a"}}\n\n',
            b'event: content_block_delta\ndata: {"delta": {"type": "thinking_delta"}}\n\n',
            b'event: content_block_start\ndata: {"content_block": {"type": "tool_use", "id": "t"}}\n\n',
            b'event: error\ndata: {"error": {"type": "overloaded_error"}}\n\n',
        ]
    )
    whole = reference_events(raw)
    for crlf in (False, True):
        stream = raw.replace(b"\n", b"\r\n") if crlf else raw
        for i in range(len(stream) + 1):
            for j in (i, min(len(stream), i + 1), min(len(stream), i + 7)):
                parser = SSEParser(drop=DROP, unless=UNLESS)
                got = parser.feed(stream[:i]) + parser.feed(stream[i:j]) + parser.feed(stream[j:])
                got += parser.close()
                # the text delta is dropped unless a cut falls inside it (then it comes back, unharmed)
                assert _kept(got) == _kept(whole), (crlf, i, j)
                assert len(got) + parser.dropped == len(whole) == parser.events_seen
