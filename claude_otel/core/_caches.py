"""Module-level caches of the core, in one uncompiled module so that the pure walker (walk.py) and its
mypyc-compiled copy (_walk_native) share them. Clear them all with `claude_otel.core.clear_caches()`."""

from __future__ import annotations

# tool ids already seen to match walk.TOOL_ID_RE: agents resend the whole history on every request, so a
# set lookup replaces most regex matches (bounded; ids are not content)
GOOD_IDS: set[str] = set()
GOOD_IDS_MAX = 1 << 15  # about 2.5 MB at most
