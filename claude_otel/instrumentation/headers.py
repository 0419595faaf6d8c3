"""The few headers the hooks read, picked out of an httpx/httpx2 ``Headers`` in one pass.

``Headers.get`` lower-cases and encodes the name, then decodes every matching value through the
``encoding`` property, scanning the whole list each time: about 15,000 instructions per call on the
SDK's ~15 request headers, and the hooks want eight values. ``pick`` walks the list once and returns a
plain dict of the wanted names that are present, with the values ``get`` returns (repeated headers
joined with ", ", decoded with the headers' own encoding when not ASCII); anything that is not an httpx-shaped
``Headers`` (no ``_list`` of (raw key, lower-case key, value) triples) is read through ``get``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["REQUEST_HEADERS", "RESPONSE_HEADERS", "pick"]

REQUEST_HEADERS = (
    "user-agent",
    "anthropic-beta",
    "x-stainless-retry-count",
    "x-claude-code-session-id",
    "x-claude-otel-conversation-id",
)
RESPONSE_HEADERS = ("request-id", "content-encoding", "content-type")

_KEYS: dict[tuple[str, ...], dict[bytes, str]] = {}


def pick(headers: Any, names: tuple[str, ...]) -> dict[str, str] | None:
    """``{name: headers.get(name)}`` for the ``names`` present (lower-case ASCII); None for None."""
    if headers is None:
        return None
    items = getattr(headers, "_list", None)
    if type(items) is list:
        try:
            return _scan(headers, items, names)
        except Exception:  # another layout than httpx's: the public way below
            pass
    out: dict[str, str] = {}
    for name in names:
        value = headers.get(name)
        if value is not None:
            out[name] = value
    return out


def _scan(headers: Any, items: list[Any], names: tuple[str, ...]) -> dict[str, str]:
    keys = _KEYS.get(names)
    if keys is None:
        keys = _KEYS[names] = {name.encode("ascii"): name for name in names}
    out: dict[str, str] = {}
    for _, key, value in items:
        name = keys.get(key)
        if name is None:
            continue
        # ASCII bytes read the same in each encoding Headers may pick (ascii, utf-8, iso-8859-1): its
        # choice, a decode of every header, is only asked for a value that is not ASCII
        text = value.decode("ascii") if value.isascii() else value.decode(headers.encoding)
        seen = out.get(name)
        out[name] = text if seen is None else f"{seen}, {text}"
    return out
