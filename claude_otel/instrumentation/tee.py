"""Pass-through tee streams and the lookup of the response object whose body they wrap.

A tee yields every chunk of the wrapped stream unchanged and at once, after handing a reference to an
observer (which never blocks and never keeps the whole stream). When the stream ends or is closed the
``on_done`` callback runs exactly once. Observer errors are reported and then ignored: the application's
bytes always flow.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Container
from types import ModuleType
from typing import Any, Protocol

__all__ = ["Observer", "find_response", "prefetch_async", "prefetch_sync", "replace_stream", "tee_classes"]


class Observer(Protocol):
    def feed(self, chunk: bytes) -> None: ...
    def close(self) -> Any: ...


class _TeeState:
    __slots__ = ("done", "exhausted", "observer", "on_done", "on_error")

    def __init__(
        self, observer: Observer, on_done: Callable[[Any, bool], None], on_error: Callable[[str], None]
    ):
        self.observer: Observer | None = observer
        self.on_done = on_done
        self.on_error = on_error
        self.done = False
        self.exhausted = False

    def feed(self, chunk: bytes) -> None:
        obs = self.observer
        if obs is None:
            return
        try:
            obs.feed(chunk)
        except Exception as exc:
            self.observer = None
            self.on_error(f"{type(exc).__name__}")

    def finish(self) -> None:
        if self.done:
            return
        self.done = True
        obs = self.observer
        self.observer = None
        if obs is None:
            return
        try:
            self.on_done(obs.close(), self.exhausted)
        except Exception as exc:
            self.on_error(f"{type(exc).__name__}")


_cache: dict[str, tuple[type, type]] = {}


def tee_classes(module: ModuleType) -> tuple[type, type]:
    """(SyncTee, AsyncTee) subclassing ``module.SyncByteStream`` / ``module.AsyncByteStream``."""
    name = module.__name__
    if name in _cache:
        return _cache[name]

    class SyncTee(module.SyncByteStream):  # type: ignore[name-defined,misc]
        __slots__ = ("_inner", "_st")

        def __init__(self, inner: Any, state: _TeeState) -> None:
            self._inner = inner
            self._st = state

        def __iter__(self):  # type: ignore[no-untyped-def]
            st = self._st
            try:
                for chunk in self._inner:
                    st.feed(chunk)
                    yield chunk
                st.exhausted = True
            finally:
                st.finish()

        def close(self) -> None:
            try:
                self._inner.close()
            finally:
                self._st.finish()

    class AsyncTee(module.AsyncByteStream):  # type: ignore[name-defined,misc]
        __slots__ = ("_inner", "_st")

        def __init__(self, inner: Any, state: _TeeState) -> None:
            self._inner = inner
            self._st = state

        async def __aiter__(self):  # type: ignore[no-untyped-def]
            st = self._st
            try:
                async for chunk in self._inner:
                    st.feed(chunk)
                    yield chunk
                st.exhausted = True
            finally:
                st.finish()

        async def aclose(self) -> None:
            try:
                await self._inner.aclose()
            finally:
                self._st.finish()

    SyncTee.__qualname__ = f"ClaudeOtelSyncTee[{name}]"
    AsyncTee.__qualname__ = f"ClaudeOtelAsyncTee[{name}]"
    _cache[name] = (SyncTee, AsyncTee)
    return SyncTee, AsyncTee


def find_response(
    stream: Any, response_types: tuple[type, ...], max_depth: int = 6, skip: Container[int] = ()
) -> Any | None:
    """The Response object (in a caller's frame) whose ``.stream`` is ``stream``; identity only.
    Frames whose code object's ``id()`` is in ``skip`` (the hooks' own, which live as long as the process:
    no Response there) are passed over without building their locals. (Ids: hashing a code object hashes
    its bytecode and constants, every time.)"""
    frame = sys._getframe(1)
    depth = 0
    try:
        while frame is not None and depth < max_depth:
            if id(frame.f_code) not in skip:
                local = frame.f_locals
                # the httpx instrumentation's name for it first: the other locals need not be looked at
                value = local.get("response")
                if isinstance(value, response_types) and getattr(value, "stream", None) is stream:
                    return value
                for value in local.values():
                    if isinstance(value, response_types) and getattr(value, "stream", None) is stream:
                        return value
            frame = frame.f_back
            depth += 1
    finally:
        del frame
    return None


def replace_stream(
    response: Any,
    module: ModuleType,
    observer: Observer,
    on_done: Callable[[Any, bool], None],
    on_error: Callable[[str], None],
    is_async: bool,
) -> None:
    """Swap ``response.stream`` for a tee of itself (same sync/async kind)."""
    sync_tee, async_tee = tee_classes(module)
    state = _TeeState(observer, on_done, on_error)
    response.stream = (async_tee if is_async else sync_tee)(response.stream, state)


class _Prefix:
    """A body whose first bytes were already read: replays them, then continues the original stream."""

    def __init__(self, inner: Any, iterator: Any, chunks: list[bytes], exc: BaseException | None) -> None:
        self._inner = inner
        self._iterator = iterator
        self._chunks = chunks
        self._exc = exc


def prefetch_sync(response: Any, module: ModuleType, cap: int) -> bytes:
    """Read up to ``cap`` bytes of ``response.stream`` now and put an identical stream back."""
    inner = response.stream
    iterator = iter(inner)
    chunks: list[bytes] = []
    size = 0
    exc: BaseException | None = None
    try:
        while size <= cap:
            chunk = next(iterator, None)
            if chunk is None:
                iterator = None
                break
            chunks.append(chunk)
            size += len(chunk)
    except Exception as err:  # the application gets the same error when it reads
        exc, iterator = err, None
    if iterator is None and exc is None:
        inner.close()
        response.stream = module.ByteStream(b"".join(chunks))
    else:
        response.stream = _replay_classes(module)[0](_Prefix(inner, iterator, chunks, exc))
    return b"".join(chunks)[:cap]


async def prefetch_async(response: Any, module: ModuleType, cap: int) -> bytes:
    inner = response.stream
    iterator = inner.__aiter__()
    chunks: list[bytes] = []
    size = 0
    exc: BaseException | None = None
    try:
        while size <= cap:
            try:
                chunk = await iterator.__anext__()
            except StopAsyncIteration:
                iterator = None
                break
            chunks.append(chunk)
            size += len(chunk)
    except Exception as err:
        exc, iterator = err, None
    if iterator is None and exc is None:
        await inner.aclose()
        response.stream = module.ByteStream(b"".join(chunks))
    else:
        response.stream = _replay_classes(module)[1](_Prefix(inner, iterator, chunks, exc))
    return b"".join(chunks)[:cap]


_replay_cache: dict[str, tuple[type, type]] = {}


def _replay_classes(module: ModuleType) -> tuple[type, type]:
    name = module.__name__
    if name in _replay_cache:
        return _replay_cache[name]

    class SyncReplay(module.SyncByteStream):  # type: ignore[name-defined,misc]
        def __init__(self, p: _Prefix) -> None:
            self._p = p

        def __iter__(self):  # type: ignore[no-untyped-def]
            p = self._p
            yield from p._chunks
            if p._exc is not None:
                raise p._exc
            if p._iterator is not None:
                yield from p._iterator

        def close(self) -> None:
            self._p._inner.close()

    class AsyncReplay(module.AsyncByteStream):  # type: ignore[name-defined,misc]
        def __init__(self, p: _Prefix) -> None:
            self._p = p

        async def __aiter__(self):  # type: ignore[no-untyped-def]
            p = self._p
            for chunk in p._chunks:
                yield chunk
            if p._exc is not None:
                raise p._exc
            if p._iterator is not None:
                async for chunk in p._iterator:
                    yield chunk

        async def aclose(self) -> None:
            await self._p._inner.aclose()

    _replay_cache[name] = (SyncReplay, AsyncReplay)
    return SyncReplay, AsyncReplay
