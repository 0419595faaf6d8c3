"""Human-readable doctor output: places, rules and counts; prompt words only when they were asked for."""

from __future__ import annotations

import shlex

from .diagnose import SessionReport
from .fix import FixPlan


def _place(d: dict) -> str:
    return f"line {d['line']} · uuid {d['uuid']} · {d['timestamp']}"


def render_session(report: SessionReport) -> list[str]:
    d = report.as_dict()
    status = report.status.upper()
    out = [
        f"{report.path}",
        f"  session {report.session_id} · {report.lines} lines · {report.messages} messages · {status}",
    ]
    if report.broken:
        b = d["broken"]
        out.append(f"  first broken entry: {_place(b)}")
        out.append(f"    rule {b['rule']} at {b['path']}")
        out.append(f"    fix: {b['fix']}")
        r = d["rewind_to"]
        if r:
            words = f' "{r["words"]}"' if "words" in r else ""
            out.append(f"  rewind to the prompt at {_place(r)}{words}")
        else:
            out.append("  rewind to: no user prompt before the broken turn (start a new session)")
        out.append(f"  repair: claude-otel doctor --fix {shlex.quote(report.path)}")
    errors = d["api_errors_recorded"]
    if errors["count"]:
        last = errors["last"]
        out.append(
            f"  API errors already recorded: {errors['count']} (last: line {last['line']},"
            f" {last['status']} {last['error']}, {last['timestamp']})"
        )
    for n in report.notes:
        where = f"line {n.line}: " if n.line else ""
        out.append(f"  note (Claude Code repairs this itself on resume): {where}{n.detail}")
    for bad in report.bad_lines:
        out.append(f"  bad line {bad.line}: {bad.problem}")
    if report.bad_line_count > len(report.bad_lines):
        out.append(f"  ... {report.bad_line_count - len(report.bad_lines)} more bad lines")
    return out


def render_fix(report: SessionReport, plan: FixPlan) -> list[str]:
    out = [f"{report.path}: {len(plan.edits)} edit(s)"]
    out += [f"  {e.describe()}" for e in plan.edits]
    out += [f"  {line}" for line in plan.describe_lines()]
    return out


def resume_command(cwd: str | None, session_id: str) -> str:
    prefix = f"cd {shlex.quote(cwd)} && " if cwd else ""
    return f"{prefix}claude --resume {session_id}"
