"""The analysis core: request shape, rule findings, error classification, skeletons, model table.

Pure Python: never imports opentelemetry or prometheus_client (see docs/interfaces.md §1).
"""

from __future__ import annotations

from .analysis import analyze
from .classify import CATEGORIES, CATEGORY_INFO, Classification, classify_error
from .models import model_capabilities, normalize_model
from .rules import RULES, RuleInfo, rule_info
from .skeleton import skeleton
from .types import Analysis, Finding, Shape

__all__ = [
    "CATEGORIES",
    "CATEGORY_INFO",
    "RULES",
    "Analysis",
    "Classification",
    "Finding",
    "RuleInfo",
    "Shape",
    "analyze",
    "classify_error",
    "model_capabilities",
    "normalize_model",
    "rule_info",
    "skeleton",
]
