"""The collector pause around an analysis: off inside, back as it was after; a pause inside a pause (the
hooks' around analyze()'s) keeps it off to the end of the outer one and touches nothing itself; an
application that turned the collector off keeps it off."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from claude_otel.core.gcpause import gc_paused


@pytest.fixture(autouse=True)
def restore() -> Iterator[None]:
    was = gc.isenabled()
    yield
    gc.enable() if was else gc.disable()


def test_nested_pauses_keep_the_collector_off_until_the_outer_one_ends() -> None:
    gc.enable()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # (the inner pause did not turn it back on)
    assert gc.isenabled()


def test_an_application_that_turned_the_collector_off_keeps_it_off() -> None:
    gc.disable()
    with gc_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_the_pause_ends_on_an_exception_too() -> None:
    gc.enable()
    with pytest.raises(ValueError), gc_paused():
        raise ValueError("x")
    assert gc.isenabled()
