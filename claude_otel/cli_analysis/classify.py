"""`claude-otel classify [FILE|-] [--json] [--status N]`: classify a Messages API error response body."""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file",
        nargs="?",
        metavar="FILE",
        help="the raw text of an error response body (API JSON, a proxy's wrapper, an SDK or Claude Code "
        "error line, or an SSE 'event: error'); '-' or nothing reads stdin",
    )
    parser.add_argument(
        "--json", action="store_true", help="print family, status, error_type, category, request_id, message"
    )
    parser.add_argument(
        "--status", type=int, metavar="N", help="the HTTP status of the response, when the body does not say"
    )


def run(args: argparse.Namespace) -> int:
    from ._input import guarded

    return guarded("classify", lambda: _run(args))


def _run(args: argparse.Namespace) -> int:
    import orjson

    from claude_otel.core import RULES, classify_error
    from claude_otel.core.classify import CATEGORY_INFO

    from ._input import read_bytes

    if args.file is None and args.status is not None and sys.stdin.isatty():
        data = b""  # status only: do not wait on a terminal
    else:
        data = read_bytes(args.file)
    result = classify_error(data, args.status)
    fields = {
        "family": result.family,
        "status": result.status,
        "error_type": result.error_type,
        "category": result.category,
        "request_id": result.request_id,
        "message": result.message,
    }
    if args.json:
        sys.stdout.write(orjson.dumps(fields).decode() + "\n")
        return 0
    status = f" (HTTP {result.status})" if result.status is not None else ""
    family = {"2xx": "2xx: error event inside a streamed 200 response", "none": "none: no HTTP status"}
    lines = [
        f"category:   {result.category}",
        f"            {CATEGORY_INFO.get(result.category, '')}",
        f"family:     {family.get(result.family, result.family)}{status}",
        f"error type: {result.error_type or '-'}",
        f"request id: {result.request_id or '-'}",
        f"message:    {result.message or '-'}",
    ]
    rule = RULES.get(result.category)
    if rule is not None:
        lines.append(f"fix:        {rule.fix}")
        if not rule.cross_turn:
            lines.append("predictable before sending: run `claude-otel check` on the request body")
        else:
            lines.append("predictable by the instrumentation, which remembers the previous response")
    sys.stdout.write("\n".join(lines) + "\n")
    return 0
