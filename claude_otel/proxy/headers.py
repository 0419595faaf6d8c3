"""Hop-by-hop header handling for the reverse proxy (RFC 9110 §7.6.1; pure functions).

ASGI gives header names as lower-case bytes; these functions keep that form and the order and
duplicates of everything they forward.
"""

from __future__ import annotations

from collections.abc import Iterable

RawHeaders = list[tuple[bytes, bytes]]

# Connection-specific fields a proxy must not forward (RFC 9110 §7.6.1, plus the legacy Keep-Alive,
# Proxy-Connection and Proxy-Authenticate/Authorization which address the proxy itself).
HOP_BY_HOP: frozenset[bytes] = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)


def connection_tokens(headers: Iterable[tuple[bytes, bytes]]) -> frozenset[bytes]:
    """The header names listed in every ``Connection`` field, lower-cased."""
    names: set[bytes] = set()
    for name, value in headers:
        if name.lower() == b"connection":
            for token in value.split(b","):
                token = token.strip().lower()
                if token:
                    names.add(token)
    return frozenset(names)


def end_to_end(headers: Iterable[tuple[bytes, bytes]], *, drop: Iterable[bytes] = ()) -> RawHeaders:
    """Headers minus hop-by-hop ones (fixed list and those named in ``Connection``) and minus ``drop``;
    names lower-cased, values untouched, order and duplicates kept."""
    headers = list(headers)
    skip = HOP_BY_HOP | connection_tokens(headers) | {d.lower() for d in drop}
    out: RawHeaders = []
    for name, value in headers:
        lname = name.lower()
        if lname in skip or lname.startswith(b"proxy-"):
            continue
        out.append((lname, value))
    return out


def request_headers(
    headers: Iterable[tuple[bytes, bytes]], *, via: bytes | None = b"1.1 claude-otel"
) -> RawHeaders:
    """Headers to send upstream: end-to-end ones without ``Host`` (the client sets it from the upstream
    URL) and without ``Expect`` (the proxy has already read the whole body); a ``Via`` entry appended, as a
    gateway must (RFC 9110 §7.6.3). A request framed by ``Transfer-Encoding`` loses its ``Content-Length``
    too (RFC 9112 §6.3: the transfer coding wins; the proxy forwards the de-chunked body with its real
    length)."""
    headers = list(headers)
    drop: tuple[bytes, ...] = (b"host", b"expect")
    if any(name.lower() == b"transfer-encoding" for name, _ in headers):
        drop += (b"content-length",)
    out = end_to_end(headers, drop=drop)
    if via:
        existing = [v for n, v in out if n == b"via"]
        out = [(n, v) for n, v in out if n != b"via"]
        out.append((b"via", b", ".join([*existing, via])))
    return out


def response_headers(headers: Iterable[tuple[bytes, bytes]]) -> RawHeaders:
    """Headers to send back to the client: the upstream's end-to-end headers, unchanged."""
    return end_to_end(headers)
