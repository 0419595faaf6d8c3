"""The analysis core: request shape, rule findings, error classification, skeletons, model table.

Pure Python: never imports opentelemetry or prometheus_client (see docs/interfaces.md §1).
"""

from __future__ import annotations

from . import _caches, conversations, schema, settings
from ._native import NATIVE, STATUS
from .analysis import _BETAS_MEMO, _REQUEST_CACHE, analyze
from .checks_request import _CACHE_BYTES, _SPAN_CACHE, _TOOLS_CACHE
from .classify import CATEGORIES, CATEGORY_INFO, Classification, classify_error
from .models import model_capabilities, normalize_model
from .rules import RULES, RuleInfo, rule_info
from .skeleton import skeleton
from .types import Analysis, Finding, Shape

NATIVE_STATUS = STATUS  # one line: which walker runs and why


def clear_caches() -> None:
    """Forget the module-level caches (valid tool ids seen, tools[] and request-level checks, parsed
    betas, the known tools[] spans and settings, the conversations' checkpoints): as for a first request."""
    _caches.GOOD_IDS.clear()
    _TOOLS_CACHE.clear()
    _SPAN_CACHE.clear()
    _CACHE_BYTES.update(dict.fromkeys(_CACHE_BYTES, 0))
    _REQUEST_CACHE.clear()
    _BETAS_MEMO.clear()
    schema.KNOWN_TOOLS.clear()
    settings.clear()
    conversations.MEMORY.clear()


__all__ = [
    "CATEGORIES",
    "CATEGORY_INFO",
    "NATIVE",
    "NATIVE_STATUS",
    "RULES",
    "Analysis",
    "Classification",
    "Finding",
    "RuleInfo",
    "Shape",
    "analyze",
    "classify_error",
    "clear_caches",
    "model_capabilities",
    "normalize_model",
    "rule_info",
    "skeleton",
]
