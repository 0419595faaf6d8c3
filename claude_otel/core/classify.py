"""Error-response classifier (placeholder until the classifier lands; see docs/interfaces.md)."""

from __future__ import annotations

from dataclasses import dataclass

CATEGORIES: tuple[str, ...] = ("unclassified",)


@dataclass(frozen=True, slots=True)
class Classification:
    family: str
    status: int | None
    error_type: str | None
    category: str
    request_id: str | None
    message: str | None


def classify_error(body: bytes | str | None, status: int | None = None) -> Classification:
    family = "none" if status is None else f"{status // 100}xx"
    return Classification(family, status, None, "unclassified", None, None)
