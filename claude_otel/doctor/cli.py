"""``claude-otel doctor [PATH]`` and ``claude-otel doctor --fix SESSION`` (the I/O edge of the doctor).

Exit status: 0 every session healthy (or repaired), 1 some session broken (or a fix that did not make it
valid), 2 bad usage (a path that does not exist).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import orjson


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "path",
        nargs="?",
        help="a session .jsonl, a project folder, or nothing: ~/.claude/projects (honours CLAUDE_CONFIG_DIR)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON document for tools")
    parser.add_argument(
        "--show-prompts",
        action="store_true",
        help="show the first words of the prompt to rewind to (content stays out by default)",
    )
    parser.add_argument(
        "--claude-version",
        metavar="X.Y.Z",
        help="the Claude Code that will resume (default: the last version that wrote each transcript)",
    )
    parser.add_argument(
        "--fix",
        action="store_true",
        help="write a repaired copy of the session PATH (a .jsonl or a session id) next to it",
    )


def run(args: argparse.Namespace) -> int:
    from . import render, scan

    if args.fix:
        return _fix(args)
    root = Path(args.path).expanduser() if args.path else scan.projects_root()
    if not root.exists():
        print(f"claude-otel doctor: {root} does not exist", file=sys.stderr)
        return 2
    files = scan.session_files(root)
    counts = {"healthy": 0, "broken": 0, "empty": 0}
    reports = []
    for report in scan.diagnose_all(
        files, show_prompts=args.show_prompts, claude_version=args.claude_version
    ):
        counts[report.status] += 1
        if args.json:
            reports.append(report.as_dict())
        elif (
            report.status != "healthy"
            or report.notes
            or report.bad_lines
            or report.api_errors
            or len(files) == 1
        ):
            print("\n".join(render.render_session(report)))
    summary = {"sessions": len(files), **counts}
    if args.json:
        sys.stdout.buffer.write(
            orjson.dumps({"summary": summary, "sessions": reports}, option=orjson.OPT_INDENT_2)
        )
        sys.stdout.write("\n")
    else:
        tally = ", ".join(f"{counts[k]} {k}" for k in ("healthy", "broken", "empty"))
        print(f"{len(files)} session(s): {tally}")
    return 1 if counts["broken"] else 0


def _fix(args: argparse.Namespace) -> int:
    from . import fix, render, scan

    if not args.path:
        print("claude-otel doctor --fix: name the session (a .jsonl path or a session id)", file=sys.stderr)
        return 2
    path = scan.find_session(args.path)
    if path is None:
        print(f"claude-otel doctor --fix: no session {args.path}", file=sys.stderr)
        return 2
    report = scan.diagnose_file(path, claude_version=args.claude_version)
    if report.status != "broken" or report.rebuilt is None:
        print(f"{path}: {report.status}; nothing to fix")
        return 0
    plan = fix.plan_fix(report.rebuilt)
    if not plan.changes:
        b = report.broken
        print(f"{path}: {b.rule if b else 'broken'} is not a shape doctor can repair; rewind instead")
        print("\n".join(render.render_session(report)))
        return 1
    copy = fix.write_fixed_copy(path, plan)
    checked = scan.diagnose_file(copy, claude_version=args.claude_version)
    lines = render.render_fix(report, plan)
    if checked.status == "broken":
        copy.unlink()
        rule = checked.broken.rule if checked.broken else "?"
        lines.append(f"the repaired copy would still be rejected ({rule}); nothing written: rewind instead")
        if args.json:
            _dump({"path": str(path), "fixed": False, "edits": [e.as_dict() for e in plan.edits]})
        else:
            print("\n".join(lines))
        return 1
    command = render.resume_command(report.cwd, copy.stem)
    if args.json:
        _dump(
            {
                "path": str(path),
                "fixed": True,
                "copy": str(copy),
                "session_id": copy.stem,
                "edits": [e.as_dict() for e in plan.edits],
                "lines_rewritten": sorted(plan.changes),
                "resume": command,
            }
        )
    else:
        lines.append(f"wrote {copy} (the original is unchanged)")
        lines.append(f"resume it with: {command}")
        print("\n".join(lines))
    return 0


def _dump(obj: object) -> None:
    sys.stdout.buffer.write(orjson.dumps(obj, option=orjson.OPT_INDENT_2))
    sys.stdout.write("\n")
