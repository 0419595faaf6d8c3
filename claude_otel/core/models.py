"""Model capability table: placeholder."""

from __future__ import annotations


def normalize_model(model: str | None) -> str:
    return "none" if not model else "other"


def model_capabilities(model: str | None) -> dict | None:
    return None
