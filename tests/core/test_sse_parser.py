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
