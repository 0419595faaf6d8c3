"""The `claude-otel` command line: one subcommand per job, each living in its own module.

Each subcommand module exposes ``add_arguments(parser)`` (cheap: no heavy imports) and
``run(args) -> int`` (does the work, returns the exit status).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from claude_otel.extras import missing_extra

# name -> (module, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "check": ("claude_otel.cli_analysis.check", "predict HTTP 400s from Messages API request bodies"),
    "classify": ("claude_otel.cli_analysis.classify", "classify a Messages API error response body"),
    "skeleton": ("claude_otel.cli_analysis.skeleton", "print the content-free skeleton of a request body"),
    "rules": ("claude_otel.cli_analysis.rules", "list every rule and error category"),
    "mock-server": ("claude_otel.mock.cli", "run the shape-enforcing mock Messages API server"),
    "demo": ("claude_otel.demo.cli", "run a fleet of instrumented agents against the mock server"),
    "proxy": ("claude_otel.proxy.cli", "run the observing reverse proxy in front of the Messages API"),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; only the module of ``command`` is imported (``None``: none, for the top-level help)."""
    parser = argparse.ArgumentParser(
        prog="claude-otel",
        description="Request-shape observability for the Anthropic Messages API.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        sp = sub.add_parser(name, help=help_text, description=help_text)
        if name == command:
            module = importlib.import_module(module_name)
            module.add_arguments(sp)
            sp.set_defaults(_run=module.run)
    return parser


def _command_of(argv: Sequence[str]) -> str | None:
    """The subcommand named on the command line: the first argument that is not an option."""
    for arg in argv:
        if not arg.startswith("-"):
            return arg if arg in SUBCOMMANDS else None
    return None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = _command_of(argv)
    missing = missing_extra(command)
    if missing:
        print(missing, file=sys.stderr)
        return 2
    parser = build_parser(command)
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
