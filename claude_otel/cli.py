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
    "doctor": ("claude_otel.doctor.cli", "find (and optionally repair) Claude Code sessions the API rejects"),
    "incidents": (
        "claude_otel.incidents.cli",
        "list, show and export the recorded incidents",
    ),
}


def package_version() -> str:
    """The installed distribution's version (pyproject's ``project.version``)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("claude-otel")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown (not installed)"


class _VersionAction(argparse.Action):
    """``--version``: the version is looked up only when asked for (the metadata lookup costs ~10 ms)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=kwargs.get("help"))

    def __call__(self, parser: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        sys.stdout.write(f"claude-otel {package_version()}\n")
        parser.exit()


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; only the module of ``command`` is imported (``None``: none, for the top-level help)."""
    parser = argparse.ArgumentParser(
        prog="claude-otel",
        description="Request-shape observability for the Anthropic Messages API.",
    )
    parser.add_argument("--version", action=_VersionAction, help="print the version and exit")
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
