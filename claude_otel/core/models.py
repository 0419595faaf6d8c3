"""Model capability table (data/models.json) and the bounded model label.

`normalize_model` maps any model id (first-party, Bedrock, Vertex, dated or aliased) to a family id
from the table, or "other" / "none": a fixed set, safe as a Prometheus label value.
`model_capabilities` returns the family's row (prefill, thinking_types, max_tokens, interleaved), or None
when the model is unknown; every None/null means "unknown, do not check".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True, slots=True)
class ModelCapabilities:
    family: str
    prefill: bool | None
    thinking_types: frozenset[str] | None
    max_tokens: int | None
    interleaved: str | None = None  # "beta" | "auto" | "none" | None (unknown): see data/models.json


def _load() -> tuple[dict[str, ModelCapabilities], tuple[tuple[str, str], ...]]:
    raw = json.loads(resources.files(__package__).joinpath("data/models.json").read_text("utf-8"))
    families: dict[str, ModelCapabilities] = {}
    prefixes: list[tuple[str, str]] = []
    for family, row in raw["families"].items():
        types = row.get("thinking_types")
        families[family] = ModelCapabilities(
            family=family,
            prefill=row.get("prefill"),
            thinking_types=frozenset(types) if types is not None else None,
            max_tokens=row.get("max_tokens"),
            interleaved=row.get("interleaved"),
        )
        prefixes.extend((p, family) for p in row["match"])
    prefixes.sort(key=lambda pf: len(pf[0]), reverse=True)  # longest prefix wins
    return families, tuple(prefixes)


FAMILIES, _PREFIXES = _load()
MODEL_LABELS: tuple[str, ...] = (*FAMILIES, "other", "none")


def _strip(model: str) -> str:
    m = model.strip().lower()
    if "/" in m:  # "anthropic/claude-..." (gateways) or an ARN: keep the last segment
        m = m.rsplit("/", 1)[1]
    for prefix in ("us.", "eu.", "apac.", "global.", "jp.", "au."):
        if m.startswith(prefix):
            m = m[len(prefix) :]
            break
    if m.startswith("anthropic."):
        m = m[len("anthropic.") :]
    return m.split("@", 1)[0]


@lru_cache(maxsize=512)
def _family(model: str) -> str:
    m = _strip(model)
    for prefix, family in _PREFIXES:
        if m.startswith(prefix):
            return family
    return "other"


def normalize_model(model: str | None) -> str:
    """Bounded label: a family id of the capability table, "other" (unknown) or "none" (absent)."""
    if not isinstance(model, str) or not model:
        return "none"
    return _family(model[:200])


def model_capabilities(model: str | None) -> ModelCapabilities | None:
    """The capability row of `model`'s family, or None when the model is unknown."""
    family = normalize_model(model)
    return FAMILIES.get(family)
