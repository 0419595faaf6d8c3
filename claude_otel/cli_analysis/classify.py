"""`claude-otel classify [FILE|-] [--json] [--status N]`: classify a Messages API error response body."""

from __future__ import annotations

import argparse
import codecs
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


_SHOWN_CHARS = 500  # characters of the message the human form shows (the --json form keeps the core's 2000)
# bidi controls (they reorder what follows: "Trojan source") and the line/paragraph separators
_LAYOUT = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029")


def _unsafe(c: str) -> bool:
    """A character a terminal may act on rather than show: C0/C1 controls, DEL, bidi and line controls,
    surrogates."""
    o = ord(c)
    return o < 0x20 or 0x7F <= o < 0xA0 or c in _LAYOUT or 0xD800 <= o < 0xE000


def printable(text: str, limit: int | None = None) -> str:
    """`text` safe for a terminal: unsafe characters shown as escapes (\\x1b, \\u202e), cut at `limit`."""
    more = ""
    if limit is not None and len(text) > limit:
        more = f"... ({len(text) - limit} more characters)"
        text = text[:limit]
    if any(_unsafe(c) for c in text):
        text = "".join(c.encode("unicode_escape").decode("ascii") if _unsafe(c) else c for c in text)
    return text + more


def _escape_json(line: str) -> str:
    """A JSON text with the unsafe characters it may still hold raw (DEL, C1, bidi) as \\u escapes: the
    same value, printable bytes (orjson escapes only what JSON requires: C0 controls, quote, backslash)."""
    if not any(_unsafe(c) for c in line):
        return line
    return "".join(f"\\u{ord(c):04x}" if _unsafe(c) else c for c in line)


def unreadable(data: bytes) -> str | None:
    """Why `data` cannot be an error response text (empty, binary), or None."""
    if not data.strip():
        return "empty input, expected an error response body (or give --status N)"
    if b"\x00" in data:
        return "binary data (NUL bytes), not an error response text"
    # a body cut in the middle of a character is still text: the decoder keeps an unfinished tail
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data, final=False)
    except UnicodeDecodeError as e:
        bad = f"byte 0x{data[e.start]:02x} at offset {e.start} is not UTF-8"
        return f"binary data ({bad}), not an error response text"
    return None


def _non_text_json(data: bytes) -> str | None:
    """'a JSON list' (number, bool, null) when `data` is JSON but not an object or a string, else None."""
    import orjson

    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    if isinstance(value, (dict, str)):
        return None
    return "a JSON " + ("null" if value is None else type(value).__name__)


def _run(args: argparse.Namespace) -> int:
    import orjson

    from claude_otel.core import RULES, classify_error
    from claude_otel.core.classify import CATEGORY_INFO

    from ._input import InputError, display_name, read_bytes

    if args.file is None and args.status is not None and sys.stdin.isatty():
        data = b""  # status only: do not wait on a terminal
    else:
        data = read_bytes(args.file, "an error response body")
    problem = unreadable(data)
    if problem is not None:
        if args.status is None:
            raise InputError(f"{display_name(args.file)}: {problem}")
        if data.strip():  # with a status, a binary body adds nothing but noise: the status says it all
            print(
                f"claude-otel classify: {display_name(args.file)}: {problem}; classified by --status alone",
                file=sys.stderr,
            )
        data = b""
    result = classify_error(data, args.status)
    if result.category == "unclassified":
        kind = _non_text_json(data)  # a list can still wrap an error (Google's [{"error": ...}])
        if kind is not None:
            raise InputError(f"{display_name(args.file)}: {kind}, not an error response body")
    fields = {
        "family": result.family,
        "status": result.status,
        "error_type": result.error_type,
        "category": result.category,
        "request_id": result.request_id,
        "message": result.message,
    }
    if args.json:
        sys.stdout.write(_escape_json(orjson.dumps(fields).decode()) + "\n")
        return 0
    status = f" (HTTP {result.status})" if result.status is not None else ""
    family = {"2xx": "2xx: error event inside a streamed 200 response", "none": "none: no HTTP status"}
    lines = [
        f"category:   {result.category}",
        f"            {CATEGORY_INFO.get(result.category, '')}",
        f"family:     {family.get(result.family, result.family)}{status}",
        f"error type: {printable(result.error_type or '-', 100)}",
        f"request id: {printable(result.request_id or '-', 200)}",
        f"message:    {printable(result.message or '-', _SHOWN_CHARS)}",
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
