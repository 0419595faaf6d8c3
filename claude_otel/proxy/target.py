"""The upstream URL of a request, from its request target (pure).

Only origin-form targets (``/path?query``, RFC 9112 §3.2.1) are forwarded, and absolute-form only when it
names the upstream itself (same scheme and authority). Anything else (``@host:port/x``, ``.evil.example/x``,
``*``, an authority, another host's absolute URL) is refused: the scheme and authority of the upstream URL
always come from the configuration, never from the client, and the client's path is appended to the
upstream's path prefix as a path, not glued to its authority.
"""

from __future__ import annotations

import httpx

__all__ = ["BadTarget", "UpstreamTarget"]


class BadTarget(ValueError):
    """The request target is not one the proxy forwards."""


class UpstreamTarget:
    """Builds upstream URLs for one configured upstream."""

    __slots__ = ("_origin", "_prefix", "_url")

    def __init__(self, upstream: str) -> None:
        url = httpx.URL(upstream)
        self._url = url
        self._prefix = url.raw_path.split(b"?", 1)[0].rstrip(b"/")  # "" or "/some/prefix"
        self._origin = (url.scheme.encode("ascii"), url.netloc.lower())

    def url(self, raw_path: bytes, query: bytes) -> httpx.URL:
        """The upstream URL for a request whose target was ``raw_path`` (``?`` already split off) and
        ``query``. Raises BadTarget for anything but origin-form (or absolute-form naming the upstream)."""
        path = raw_path
        if not path.startswith(b"/"):
            path = self._absolute_path(path)
        if path.startswith(b"//"):  # would read as an authority to anyone re-parsing the URL
            raise BadTarget("request target must not start with '//'")
        if any(c <= 0x20 or c >= 0x7F or c == 0x23 for c in path + query):  # controls, space, non-ASCII, '#'
            raise BadTarget("request target holds characters a URL cannot carry")
        full = self._prefix + path + (b"?" + query if query else b"")
        return self._url.copy_with(raw_path=full)

    def _absolute_path(self, target: bytes) -> bytes:
        scheme, sep, rest = target.partition(b"://")
        if not sep or scheme.lower() not in (b"http", b"https"):
            raise BadTarget("request target must be origin-form (start with '/')")
        authority, slash, path = rest.partition(b"/")
        if (scheme.lower(), authority.lower()) != self._origin:
            raise BadTarget("absolute-form request target names another host than the upstream")
        path = slash + path
        if self._prefix and (path == self._prefix or path.startswith(self._prefix + b"/")):
            path = path[len(self._prefix) :]  # the client named the upstream's full URL
        return path or b"/"
