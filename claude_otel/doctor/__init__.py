"""``claude-otel doctor``: Claude Code session transcripts rebuilt as Claude Code resumes them, analysed,
and repaired on request. Pure at the core (``reader``, ``rebuild``, ``diagnose``, ``fix.plan_fix``); file
access in ``scan``, ``fix.write_fixed_copy`` and ``cli``."""

from __future__ import annotations

from .diagnose import SessionReport, diagnose
from .fix import FixPlan, plan_fix
from .reader import Transcript, read_transcript
from .rebuild import Rebuilt, rebuild

__all__ = [
    "FixPlan",
    "Rebuilt",
    "SessionReport",
    "Transcript",
    "diagnose",
    "plan_fix",
    "read_transcript",
    "rebuild",
]
