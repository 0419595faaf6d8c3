"""One session's diagnosis: the rebuilt request analysed, the first broken entry, the turn to rewind to,
the API errors already recorded, Claude Code's own repairs as notes, and a content-free evidence packet.

Pure: a Transcript in, a SessionReport out. Prompt words appear only when asked (``show_prompts``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..core import analyze, rule_info, skeleton
from ..core.types import Analysis, Finding
from .reader import ApiErrorEntry, BadLine, Entry, Transcript, ident, timestamp
from .rebuild import Note, Rebuilt, rebuild

PROMPT_WORDS = 6
PROMPT_CHARS = 60
_PATH = re.compile(r"messages\.(\d+)(?:\.content\.(\d+))?")


@dataclass(frozen=True, slots=True)
class Place:
    """An entry of the transcript: line, uuid, timestamp."""

    line: int
    uuid: str | None
    timestamp: str | None

    @classmethod
    def of(cls, e: Entry) -> Place:
        return cls(e.line, ident(e.uuid), timestamp(e.timestamp))

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "uuid": self.uuid, "timestamp": self.timestamp}


@dataclass(frozen=True, slots=True)
class Broken:
    """The first entry the API will reject: where it is, the rule, the API-style path, the fix."""

    place: Place | None
    rule: str
    path: str
    message: str
    fix: str

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = (
            self.place.as_dict() if self.place else {"line": None, "uuid": None, "timestamp": None}
        )
        out.update(rule=self.rule, path=self.path, message=self.message, fix=self.fix)
        return out


@dataclass(frozen=True, slots=True)
class Rewind:
    """The last user prompt before the broken turn: rewind to it (``/rewind``, or resume from before it)."""

    place: Place
    words: str | None = None  # the prompt's first words, only with show_prompts

    def as_dict(self) -> dict[str, Any]:
        out = self.place.as_dict()
        if self.words is not None:
            out["words"] = self.words
        return out


@dataclass(slots=True)
class SessionReport:
    path: str
    session_id: str | None
    status: str  # healthy | broken | empty
    lines: int
    bytes: int
    messages: int
    findings: list[Finding] = field(default_factory=list)
    broken: Broken | None = None
    rewind: Rewind | None = None
    api_errors: list[ApiErrorEntry] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    bad_lines: list[BadLine] = field(default_factory=list)
    bad_line_count: int = 0
    cwd: str | None = None
    version: str | None = None
    evidence: dict[str, Any] | None = None
    rebuilt: Rebuilt | None = None  # for --fix; not reported
    analysis: Analysis | None = None  # not reported

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "session_id": self.session_id,
            "status": self.status,
            "lines": self.lines,
            "bytes": self.bytes,
            "messages": self.messages,
            "version": self.version,
            "broken": self.broken.as_dict() if self.broken else None,
            "rewind_to": self.rewind.as_dict() if self.rewind else None,
            "findings": [f.as_dict() for f in self.findings],
            "api_errors_recorded": {
                "count": len(self.api_errors),
                "last": self.api_errors[-1].as_dict() if self.api_errors else None,
            },
            "claude_code_repairs": [n.as_dict() for n in self.notes],
            "bad_lines": [b.as_dict() for b in self.bad_lines],
            "bad_line_count": self.bad_line_count,
            "evidence": self.evidence,
        }


def diagnose(
    transcript: Transcript, path: str = "", *, show_prompts: bool = False, claude_version: str | None = None
) -> SessionReport:
    """The report of one session (see module doc). ``claude_version``: the Claude Code that will resume it
    (default: the last one that wrote it)."""
    rebuilt = rebuild(transcript, claude_version)
    report = SessionReport(
        path=path,
        session_id=transcript.session_id,
        status="empty",
        lines=transcript.lines,
        bytes=transcript.bytes,
        messages=len(rebuilt.messages),
        api_errors=transcript.api_errors,
        notes=rebuilt.notes,
        bad_lines=transcript.bad_lines,
        bad_line_count=transcript.bad_line_count,
        cwd=transcript.cwd,
        version=transcript.version,
        rebuilt=rebuilt,
    )
    if not rebuilt.messages:
        return report
    params = transcript.request_params or {}
    body = rebuilt.request(params)
    betas = params.get("betas")
    analysis = analyze(body, betas=betas if isinstance(betas, list) else None)
    report.analysis = analysis
    report.findings = list(analysis.findings)
    errors = [f for f in analysis.findings if f.severity == "error"]
    report.status = "broken" if errors else "healthy"
    if errors:
        first = min(errors, key=lambda f: _position(f.path))
        index, place = _place(rebuilt, first.path)
        try:
            fix = rule_info(first.rule).fix
        except KeyError:
            fix = ""
        report.broken = Broken(place, first.rule, first.path, first.message, fix)
        report.rewind = _rewind(rebuilt, index, show_prompts)
        report.evidence = evidence(body, analysis)  # broken sessions only: the packet is for the incident
    return report


def evidence(body: dict[str, Any], analysis: Analysis) -> dict[str, Any]:
    """The content-free evidence packet: the rebuilt request's skeleton (core/skeleton.py, the format of
    the incident sample), its shape and findings."""
    return {
        "source": "claude-code-transcript",
        "skeleton": skeleton(body),
        "shape": analysis.shape.as_dict(),
        "findings": [f.as_dict() for f in analysis.findings],
        "predicted": analysis.predicted,
    }


def _position(path: str) -> tuple[int, int]:
    m = _PATH.match(path)
    if not m:
        return (1 << 30, 0)
    return (int(m.group(1)), int(m.group(2) or 0))


def _place(rebuilt: Rebuilt, path: str) -> tuple[int, Place | None]:
    """The chain position and place of the entry a finding path points at."""
    m = _PATH.match(path)
    if not m:
        return len(rebuilt.chain), None
    i = int(m.group(1))
    if i >= len(rebuilt.messages):
        return len(rebuilt.chain), None
    msg = rebuilt.messages[i]
    origin: Entry | None = None
    if m.group(2) is not None:
        j = int(m.group(2))
        if j < len(msg.origins):
            origin = msg.origins[j]
    if origin is None:
        origin = next((o for o in msg.origins if o is not None), None) or (
            msg.entries[0] if msg.entries else None
        )
    if origin is None:
        return len(rebuilt.chain), None
    index = next((k for k, e in enumerate(rebuilt.chain) if e is origin), len(rebuilt.chain))
    return index, Place.of(origin)


def is_prompt(e: Entry) -> bool:
    """A prompt the user typed: a user entry, not injected (isMeta), holding text and no tool result."""
    if e.type != "user" or e.meta or e.sidechain or e.message is None:
        return False
    content = e.message.get("content")
    if isinstance(content, str):
        return bool(content.strip())
    if not isinstance(content, list):
        return False
    kinds = {b.get("type") for b in content if isinstance(b, dict)}
    return "text" in kinds and "tool_result" not in kinds


def prompt_words(e: Entry) -> str:
    content = (e.message or {}).get("content")
    text = content if isinstance(content, str) else ""
    if isinstance(content, list):
        text = " ".join(b.get("text", "") for b in content if isinstance(b, dict) and b.get("type") == "text")
    words = " ".join(text.split()[:PROMPT_WORDS])
    return words[:PROMPT_CHARS] + (
        "…" if len(text.split()) > PROMPT_WORDS or len(words) > PROMPT_CHARS else ""
    )


def _rewind(rebuilt: Rebuilt, index: int, show_prompts: bool) -> Rewind | None:
    for e in reversed(rebuilt.chain[:index]):
        if is_prompt(e):
            return Rewind(Place.of(e), prompt_words(e) if show_prompts else None)
    return None
