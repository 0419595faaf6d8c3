"""Reading the CLI's input: a file, ``-`` or stdin; one JSON body, or JSON Lines for ``*.jsonl``."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass

import orjson

STDIN_NAMES = (None, "-")


class InputError(Exception):
    """The input cannot be read as asked; ``str(e)`` is one line saying what and where."""


@dataclass(frozen=True, slots=True)
class Body:
    """One request body read from the input: where it came from, its raw bytes, its parsed object."""

    label: str  # "body.json" or "fleet.jsonl:17"
    line: int | None  # 1-based line number for JSON Lines input
    raw: bytes
    parsed: dict


def display_name(path: str | None) -> str:
    return "<stdin>" if path in STDIN_NAMES else str(path)


def read_bytes(path: str | None, what: str = "a request body") -> bytes:
    """All bytes of `path`, or of stdin for None / "-" (saying so on stderr when stdin is a terminal:
    a bare ``claude-otel check`` would otherwise wait in silence). `what`: the notice's name for it."""
    try:
        if path in STDIN_NAMES:
            if sys.stdin.isatty():
                print(f"reading {what} from stdin (Ctrl-D to end)", file=sys.stderr, flush=True)
            return sys.stdin.buffer.read()
        with open(path, "rb") as f:  # type: ignore[arg-type]
            return f.read()
    except OSError as e:
        raise InputError(f"{display_name(path)}: cannot read: {e.strerror or type(e).__name__}") from None


def _one_line(text: str) -> str:
    return " ".join(text.split())


def not_utf8(raw: bytes) -> UnicodeDecodeError | None:
    """Why `raw` is not UTF-8 text (the first bad byte), or None when it is."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as e:
        return e
    return None


def _parse_object(raw: bytes, where: str, line: int | None) -> dict:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as e:
        bad = not_utf8(raw) if "UTF-8" in e.msg else None
        if bad is not None:  # orjson says "str is not valid UTF-8: surrogates not allowed" at column 1
            start = bad.start
            lineno = raw.count(b"\n", 0, start) + 1 if line is None else line
            colno = start - (raw.rfind(b"\n", 0, start) + 1) + 1
            raise InputError(
                f"{where}: line {lineno} column {colno}: not UTF-8 text (byte 0x{raw[start]:02x}), "
                "expected a JSON object"
            ) from None
        lineno = e.lineno if line is None else line
        colno = e.colno
        raise InputError(
            f"{where}: line {lineno} column {colno}: not valid JSON: {_one_line(e.msg)}"
        ) from None
    if not isinstance(value, dict):
        at = f"line {line}: " if line is not None else ""
        kind = "null" if value is None else type(value).__name__
        raise InputError(f"{where}: {at}a JSON {kind}, not a request body object")
    return value


def read_bodies(path: str | None, *, jsonl: bool | None = None) -> list[Body]:
    """The request bodies of the input: one JSON object, or one per non-blank line of JSON Lines.

    JSON Lines when `jsonl` is True, or when it is None and the file name ends in ``.jsonl``.
    """
    name = display_name(path)
    data = read_bytes(path)
    if jsonl is None:
        jsonl = isinstance(path, str) and path.endswith(".jsonl")
    if not jsonl:
        if not data.strip():
            raise InputError(f"{name}: empty input, expected a JSON object (a Messages API request body)")
        return [Body(name, None, data, _parse_object(data, name, None))]
    bodies: list[Body] = []
    for number, line in enumerate(data.split(b"\n"), start=1):
        if not line.strip():
            continue
        bodies.append(Body(f"{name}:{number}", number, line, _parse_object(line, name, number)))
    if not bodies:
        raise InputError(f"{name}: no JSON lines, expected one request body object per line")
    return bodies


def fail(command: str, message: str) -> int:
    """Print the one-line error and return exit status 2."""
    print(f"claude-otel {command}: {message}", file=sys.stderr)
    return 2


def guarded(command: str, body: Callable[[], int]) -> int:
    """Run a subcommand: input errors and anything unexpected become one line on stderr and exit 2.

    A closed stdout (``| head``) ends quietly: stdout is pointed at /dev/null so that the interpreter's
    final flush does not complain, and the BrokenPipeError goes on to ``claude_otel.cli.main``.
    """
    try:
        return body()
    except InputError as e:
        return fail(command, str(e))
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise
    except Exception as e:  # never a traceback
        return fail(command, f"internal error: {type(e).__name__}")
