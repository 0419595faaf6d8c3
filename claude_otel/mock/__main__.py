"""`python -m claude_otel.mock [--host H] [--port N] ...`: the same as `claude-otel mock-server`."""

from __future__ import annotations

import argparse
import sys

from . import cli


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m claude_otel.mock", description=__doc__)
    cli.add_arguments(parser)
    try:
        return cli.run(parser.parse_args(argv))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
