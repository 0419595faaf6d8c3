"""ChecksumMemo: values remembered by the input's length and CRC-32, bounded in entries and in input bytes."""

from __future__ import annotations

from claude_otel.core.memo import ChecksumMemo


def test_a_value_is_computed_once_per_input_and_tag() -> None:
    memo = ChecksumMemo(entries=4)
    calls: list[bytes] = []

    def make(data: bytes) -> int:
        calls.append(data)
        return len(calls)

    assert memo.get(b"abc", lambda: make(b"abc")) == 1
    assert memo.get(b"abc", lambda: make(b"abc")) == 1  # remembered
    assert memo.get(memoryview(b"abc"), lambda: make(b"abc")) == 1  # the same bytes, another type
    assert memo.get(b"abc", lambda: make(b"abc"), "tools") == 2  # another tag, another entry
    assert memo.get(b"abd", lambda: make(b"abd")) == 3  # one byte changed: computed again
    assert len(calls) == 3


def test_bounded_in_entries_least_recently_used_first() -> None:
    memo = ChecksumMemo(entries=2)
    memo.get(b"a", lambda: "a")
    memo.get(b"b", lambda: "b")
    memo.get(b"a", lambda: "a")  # a is now the most recent
    memo.get(b"c", lambda: "c")  # b goes
    assert len(memo) == 2
    assert memo.get(b"a", lambda: "again") == "a"
    assert memo.get(b"b", lambda: "again") == "again"


def test_an_input_over_the_byte_bound_is_computed_every_time_never_kept() -> None:
    memo = ChecksumMemo(entries=8, max_input_bytes=4)
    assert memo.get(b"12345", lambda: 1) == 1
    assert memo.get(b"12345", lambda: 2) == 2
    assert len(memo) == 0
    memo.get(b"1234", lambda: 3)
    assert len(memo) == 1
