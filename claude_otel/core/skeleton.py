"""skeleton(): placeholder."""

from __future__ import annotations

from collections.abc import Mapping


def skeleton(body: bytes | str | Mapping) -> dict:
    return {}
