"""`claude-otel mock-server`: serve the shape-enforcing mock Messages API until interrupted."""

from __future__ import annotations

import argparse
import json
import sys
import threading


def _rate(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value


def _tool_input(text: str) -> tuple[str, dict]:
    name, sep, raw = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError('expected NAME=JSON_OBJECT, e.g. Read=\'{"file_path": "/tmp/x"}\'')
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"input for {name} is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"input for {name} must be a JSON object")
    return name, value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8788, help="port (default 8788; 0 picks a free port)")
    parser.add_argument("--seed", type=int, default=0, help="seed for ids and fault draws")
    parser.add_argument(
        "--tool-rounds", type=int, default=2, help="client tool rounds before the text answer"
    )
    parser.add_argument(
        "--prefer-tool", action="append", default=[], metavar="NAME", help="call this tool when offered"
    )
    parser.add_argument(
        "--tool-input", action="append", type=_tool_input, default=[], metavar="NAME=JSON",
        help="fixed input for calls of tool NAME (else generated from its input_schema)",
    )  # fmt: skip
    parser.add_argument(
        "--pause-turn-rate", type=_rate, default=0.0, help="share of code-execution turns paused"
    )
    parser.add_argument("--rate-limit-rate", type=_rate, default=0.0, help="share of requests answered 429")
    parser.add_argument("--retry-after", type=int, default=1, help="retry-after seconds on 429")
    parser.add_argument("--overloaded-rate", type=_rate, default=0.0, help="share of requests answered 529")
    parser.add_argument(
        "--stream-error-rate", type=_rate, default=0.0, help="share of streams cut by an error event"
    )
    parser.add_argument(
        "--slow-first-byte", type=float, default=0.0, metavar="SECONDS", help="delay responses"
    )
    parser.add_argument("--no-enforce", action="store_true", help="accept every request shape")


def run(args: argparse.Namespace) -> int:
    from .config import MockConfig
    from .server import MockServer

    try:
        config = MockConfig(
            seed=args.seed,
            tool_rounds=args.tool_rounds,
            prefer_tools=tuple(args.prefer_tool),
            tool_inputs=dict(args.tool_input),
            pause_turn_rate=args.pause_turn_rate,
            rate_limit_rate=args.rate_limit_rate,
            retry_after_seconds=args.retry_after,
            overloaded_rate=args.overloaded_rate,
            stream_error_rate=args.stream_error_rate,
            slow_first_byte_seconds=args.slow_first_byte,
            enforce=not args.no_enforce,
        )
        server = MockServer(config, host=args.host, port=args.port)
    except (ValueError, OSError) as exc:
        print(f"claude-otel mock-server: {exc}", file=sys.stderr)
        return 2
    with server:
        print(f"mock Messages API listening on {server.base_url}", flush=True)
        print(f"  ANTHROPIC_BASE_URL={server.base_url} ANTHROPIC_API_KEY=test   (Ctrl-C stops)", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("stopping", file=sys.stderr)
    return 0
