"""`claude-otel skeleton [FILE|-]`: print the content-free skeleton of a request body as JSON."""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file",
        nargs="?",
        metavar="FILE",
        help="a request body (JSON object); JSON Lines when it ends in .jsonl (one compact skeleton per "
        "line); '-' or nothing reads stdin",
    )
    parser.add_argument("--jsonl", action="store_true", help="read JSON Lines whatever the file name (stdin)")


def run(args: argparse.Namespace) -> int:
    from ._input import guarded

    return guarded("skeleton", lambda: _run(args))


def _run(args: argparse.Namespace) -> int:
    import orjson

    from claude_otel.core import skeleton

    from ._input import read_bodies

    bodies = read_bodies(args.file, jsonl=True if args.jsonl else None)
    jsonl = len(bodies) > 1 or bodies[0].line is not None
    option = 0 if jsonl else orjson.OPT_INDENT_2
    for body in bodies:
        skel = skeleton(body.raw)
        sys.stdout.write(orjson.dumps(skel, option=option | orjson.OPT_NON_STR_KEYS).decode() + "\n")
    sys.stdout.flush()
    return 0
