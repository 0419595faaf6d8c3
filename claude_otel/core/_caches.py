"""Module-level caches of the core, in one uncompiled module so that the pure walker (walk.py) and its
mypyc-compiled copy (_walk_native) share them. Clear them all with `claude_otel.core.clear_caches()`."""

from __future__ import annotations

from msgspec import Raw

# tool ids already seen to match walk.TOOL_ID_RE: agents resend the whole history on every request, so a
# set lookup replaces most regex matches (bounded; ids are not content)
GOOD_IDS: set[str] = set()
GOOD_IDS_MAX = 1 << 15  # about 2.5 MB at most
# a tool id longer than this is checked every time, never remembered (ids the API hands out are ~30 chars)
GOOD_ID_MAX_LEN = 128

# the request-level cache (analysis._decoded_request_checks) keys on the top-level fields a request sends
# the same every time (model, thinking, tool_choice, container, thread, cache_control, betas): by their
# bytes, and only when they total at most this many bytes (characters for str), so neither a key nor the
# findings and parsed values it keeps can hold more (a multi-MB `model` string is analysed, not remembered)
REQUEST_KEY_MAX_BYTES = 4096


def request_key(fixed: tuple, parts: tuple) -> tuple | None:
    """``fixed`` (small values: ints, bools, classes, shared objects) plus ``parts`` themselves (str, a
    tuple of str, a msgspec Raw span as its bytes, anything else meaning "absent"): a tuple to hash and
    compare, no digest to compute (a few hundred bytes hash in well under a microsecond); None when the
    parts are too large to be remembered."""
    key = list(fixed)
    total = 0
    for part in parts:
        cls = part.__class__
        if cls is str:
            total += len(part)
        elif cls is tuple:
            for s in part:
                total += len(s) + 1
        elif cls is Raw:
            part = bytes(part)
            total += len(part)
        else:  # UNSET, None: absent
            part = None
        key.append(part)
    if total > REQUEST_KEY_MAX_BYTES:
        return None
    return tuple(key)
