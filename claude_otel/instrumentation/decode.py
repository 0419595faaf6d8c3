"""Content-Encoding for observers: the tee sees wire bytes; observers need the decoded body.

gzip and deflate are decoded incrementally with zlib (output produced in bounded steps, so a small
compressed chunk never expands into one huge buffer); ``br`` and ``zstd`` are decoded when the
``brotli`` / ``zstandard`` modules are importable, else the body is not observed (counted as
``response_encoding_unsupported``). The application's bytes are never touched: only the observer's
copy is decoded.
"""

from __future__ import annotations

import zlib
from typing import Any

__all__ = ["DecodingObserver", "decode_prefix", "decoder_for"]

_STEP = 1 << 20


class _Zlib:
    def __init__(self, encoding: str) -> None:
        self._gzip = encoding in ("gzip", "x-gzip")
        self._d = zlib.decompressobj(16 + zlib.MAX_WBITS if self._gzip else zlib.MAX_WBITS)
        self._started = False

    def decompress(self, data: bytes) -> list[bytes]:
        if not self._started and not self._gzip:
            self._started = True
            try:
                return self._run(data)
            except zlib.error:  # "deflate" sent as raw deflate (no zlib header), as some servers do
                self._d = zlib.decompressobj(-zlib.MAX_WBITS)
        self._started = True
        return self._run(data)

    def _run(self, data: bytes) -> list[bytes]:
        out = [self._d.decompress(data, _STEP)]
        while self._d.unconsumed_tail:
            out.append(self._d.decompress(self._d.unconsumed_tail, _STEP))
        return out

    def flush(self) -> bytes:
        return self._d.flush()


class _Generic:
    def __init__(self, obj: Any, method: str) -> None:
        self._obj = obj
        self._method = getattr(obj, method)

    def decompress(self, data: bytes) -> list[bytes]:
        return [self._method(data)]

    def flush(self) -> bytes:
        flush = getattr(self._obj, "flush", None)
        return flush() if callable(flush) else b""


def decoder_for(encoding: str) -> Any | None:
    """A fresh incremental decoder for a Content-Encoding value, or None if unsupported."""
    enc = encoding.strip().lower()
    if enc in ("gzip", "x-gzip", "deflate"):
        return _Zlib(enc)
    if enc == "br":
        try:
            import brotli  # type: ignore[import-not-found]
        except ImportError:
            return None
        return _Generic(brotli.Decompressor(), "process")
    if enc == "zstd":
        try:
            import zstandard  # type: ignore[import-not-found]
        except ImportError:
            return None
        return _Generic(zstandard.ZstdDecompressor().decompressobj(), "decompress")
    return None


class DecodingObserver:
    """Decodes the wire bytes and feeds the decoded bytes to ``inner``."""

    def __init__(self, inner: Any, decoder: Any) -> None:
        self.inner = inner
        self._decoder = decoder
        self.failed = False

    @property
    def summary(self) -> Any:
        return self.inner.summary

    def feed(self, chunk: bytes) -> None:
        if self.failed:
            return
        try:
            parts = self._decoder.decompress(chunk)
        except Exception:
            self.failed = True
            return
        for part in parts:
            if part:
                self.inner.feed(part)

    def close(self) -> Any:
        if not self.failed:
            try:
                tail = self._decoder.flush()
                if tail:
                    self.inner.feed(tail)
            except Exception:
                self.failed = True
        summary = self.inner.close()
        if self.failed:
            summary.notes.append("undecodable")
        return summary


def decode_prefix(data: bytes, encoding: str, cap: int) -> bytes | None:
    """Decode a (possibly truncated) body prefix; at most ``cap`` bytes out; None if not decodable."""
    decoder = decoder_for(encoding)
    if decoder is None:
        return None
    try:
        out = bytearray()
        for part in decoder.decompress(data):
            out += part
            if len(out) >= cap:
                break
        return bytes(out[:cap])
    except Exception:
        return None
