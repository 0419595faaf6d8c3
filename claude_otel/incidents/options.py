"""The ``--incidents PATH`` / ``--no-incidents`` options the proxy and the demo share (cheap imports)."""

from __future__ import annotations

import argparse
import os


def add_store_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--incidents",
        metavar="PATH",
        default=None,
        help="SQLite file the incident records are written to (default: $CLAUDE_OTEL_INCIDENTS, else "
        "$XDG_STATE_HOME/claude-otel/incidents.sqlite); read them with `claude-otel incidents`",
    )
    parser.add_argument("--no-incidents", action="store_true", help="do not write incident records")


def store_path(args: argparse.Namespace) -> str | None:
    """The incident store to write to, or None (``--no-incidents``)."""
    if getattr(args, "no_incidents", False):
        return None
    from .store import default_path

    return getattr(args, "incidents", None) or os.environ.get("CLAUDE_OTEL_INCIDENTS") or str(default_path())
