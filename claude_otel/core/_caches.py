"""Module-level caches of the core, in one uncompiled module so that the pure walker (walk.py) and its
mypyc-compiled copy (_walk_native) share them. Clear them all with `claude_otel.core.clear_caches()`."""

from __future__ import annotations

from hashlib import blake2b

# tool ids already seen to match walk.TOOL_ID_RE: agents resend the whole history on every request, so a
# set lookup replaces most regex matches (bounded; ids are not content)
GOOD_IDS: set[str] = set()
GOOD_IDS_MAX = 1 << 15  # about 2.5 MB at most
# a tool id longer than this is checked every time, never remembered (ids the API hands out are ~30 chars)
GOOD_ID_MAX_LEN = 128

# the request-level cache (analysis._decoded_request_checks) keys on the top-level fields a request sends
# the same every time (model, thinking, tool_choice, container, thread, cache_control, betas): by a digest
# of their bytes, and only when they total at most this many bytes, so neither a key nor the findings and
# parsed values it keeps can hold more (a multi-MB `model` string is analysed, not remembered)
REQUEST_KEY_MAX_BYTES = 4096

_UNSET_MARK = b"\xff"


def request_key(fixed: tuple, parts: tuple) -> tuple | None:
    """``fixed`` (small values: ints, bools, classes, shared objects) plus a 16-byte digest of ``parts``
    (str, bytes-like, a tuple of str, or anything else meaning "absent"); None when the parts are too large
    to be remembered."""
    h = blake2b(digest_size=16)
    update = h.update
    total = 0
    for part in parts:
        if part.__class__ is str:
            data = part.encode("utf-8", "surrogatepass")
        elif part.__class__ is tuple:
            data = "\x00".join(part).encode("utf-8", "surrogatepass")
        else:
            try:
                data = memoryview(part).cast("B")
            except TypeError:  # UNSET, None: absent
                update(_UNSET_MARK)
                continue
        total += len(data)
        if total > REQUEST_KEY_MAX_BYTES:
            return None
        update(len(data).to_bytes(4, "little"))
        update(data)
    return (*fixed, h.digest())
