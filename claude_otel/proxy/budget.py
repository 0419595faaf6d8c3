"""The bytes of request bodies the proxy holds at once, across all requests: a shared budget (pure).

A request takes what it declares (``Content-Length``) before its body is read, or chunk by chunk when it
declares nothing (chunked), and gives it all back when it is done. A request that cannot take what it needs
is refused (503 ``overloaded_error`` with ``retry-after``) instead of the proxy growing without bound.
Single event loop: no lock needed.
"""

from __future__ import annotations

__all__ = ["ByteBudget"]


class ByteBudget:
    __slots__ = ("held", "limit", "peak")

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"byte budget must be >= 1, got {limit}")
        self.limit = limit
        self.held = 0
        self.peak = 0

    def take(self, n: int) -> bool:
        """Reserve ``n`` bytes; False (nothing reserved) when that would exceed the limit."""
        if n <= 0:
            return True
        if self.held + n > self.limit:
            return False
        self.held += n
        if self.held > self.peak:
            self.peak = self.held
        return True

    def give(self, n: int) -> None:
        self.held = max(0, self.held - n)
