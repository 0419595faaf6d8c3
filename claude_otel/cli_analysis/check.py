"""`claude-otel check [FILE|-] [--json] [--provider ...]`: predict HTTP 400s from request bodies."""

from __future__ import annotations

import argparse
import sys

PROVIDERS = ("anthropic", "bedrock", "vertex")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file",
        nargs="?",
        metavar="FILE",
        help="a request body (JSON object); JSON Lines, one body per line, when it ends in .jsonl; "
        "'-' or nothing reads stdin",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per body: ok, findings, shape")
    parser.add_argument(
        "--provider",
        choices=PROVIDERS,
        default="anthropic",
        help="rules enforced only by one provider are errors there and warnings elsewhere",
    )
    parser.add_argument("--jsonl", action="store_true", help="read JSON Lines whatever the file name (stdin)")


def run(args: argparse.Namespace) -> int:
    from ._input import guarded

    return guarded("check", lambda: _run(args))


def _run(args: argparse.Namespace) -> int:
    import orjson

    from claude_otel.core import analyze, skeleton

    from ._input import read_bodies
    from ._render import findings_lines, skeleton_lines

    bodies = read_bodies(args.file, jsonl=True if args.jsonl else None)
    out = sys.stdout
    any_error = False
    counts = {"error": 0, "warning": 0, "ok": 0}
    for body in bodies:
        analysis = analyze(body.raw, provider=args.provider)
        if analysis.parse_error is not None:  # cannot happen after read_bodies; stay honest anyway
            from ._input import InputError

            raise InputError(f"{body.label}: {analysis.parse_error}")
        ok = analysis.ok
        any_error |= not ok
        if args.json:
            record = {
                "ok": ok,
                "findings": [f.as_dict() for f in analysis.findings],
                "shape": analysis.shape.as_dict(),
            }
            out.write(orjson.dumps(record).decode() + "\n")
            continue
        verdict = "error" if not ok else ("warning" if analysis.findings else "ok")
        counts[verdict] += 1
        errors = sum(f.severity == "error" for f in analysis.findings)
        warnings = len(analysis.findings) - errors
        # the size limit is enforced first, with its own status: 413 request_too_large, not 400
        refused = (
            413
            if any(f.rule == "request_too_large" and f.severity == "error" for f in analysis.findings)
            else 400
        )
        summary = {
            "error": f"{refused} expected: {errors} error(s), {warnings} warning(s)",
            "warning": f"no 400 expected; {warnings} warning(s)",
            "ok": "ok: no findings",
        }[verdict]
        lines = [f"{body.label}: {summary}"]
        if analysis.findings or len(bodies) == 1:
            lines += findings_lines(analysis.findings)
            lines += skeleton_lines(skeleton(body.parsed), (f.path for f in analysis.findings))
        out.write("\n".join(lines) + "\n")
    if not args.json and len(bodies) > 1:
        out.write(
            f"{len(bodies)} bodies: {counts['error']} with errors, {counts['warning']} with warnings only, "
            f"{counts['ok']} ok\n"
        )
    out.flush()
    return 1 if any_error else 0
