"""`claude-otel demo`: argument parsing only (cheap imports); the work happens in ``runner``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

MAX_AGENTS = 256  # one thread each


def _agents(text: str) -> int:
    value = int(text)
    if not 1 <= value <= MAX_AGENTS:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_AGENTS}, got {value}")
    return value


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be a TCP port (0 = a free port), got {value}")
    return value


def _duration(text: str) -> float:
    value = float(text)
    if not 0 < value <= 24 * 3600:
        raise argparse.ArgumentTypeError(f"must be between 0 and 86400 seconds, got {text}")
    return value


def _rate(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--agents", type=_agents, default=16, help="agents in the fleet (default 16)")
    parser.add_argument(
        "--duration", type=_duration, default=20.0, help="seconds the fleet runs (default 20)"
    )
    parser.add_argument(
        "--fault-rate", type=_rate, default=0.5, help="share of buggy agents, 0..1 (default 0.5)"
    )
    parser.add_argument(
        "--metrics-port", type=_port, default=9464, help="port of /metrics (default 9464; 0 = a free port)"
    )
    parser.add_argument(
        "--report",
        default="reports/demo-report.json",
        help="JSON report path (default reports/demo-report.json)",
    )
    parser.add_argument("--no-live", action="store_true", help="plain lines instead of the live view")
    parser.add_argument("--seed", type=int, default=1, help="seed of the fleet plan and the mock (default 1)")
    parser.add_argument(
        "--hold", action="store_true", help="keep serving /metrics after the run, until Ctrl-C"
    )
    parser.add_argument(
        "--no-network-faults",
        action="store_true",
        help="turn off the mock's network-level faults (429s, 529s, mid-stream overloaded errors), which "
        "otherwise reach buggy and clean agents alike",
    )
    from claude_otel.incidents.options import add_store_arguments

    add_store_arguments(parser)


def _report_path_error(path: str) -> str | None:
    """Why the report cannot be written there (checked before the run, not after it), or None."""
    target = Path(path)
    if target.is_dir():
        return f"--report {path} is a directory; give a file path"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"--report: cannot create {target.parent}: {exc.strerror}"
    if not os.access(target.parent, os.W_OK):
        return f"--report: {target.parent} is not writable"
    return None


def run(args: argparse.Namespace) -> int:
    from claude_otel.incidents.options import store_path

    problem = _report_path_error(args.report)
    if problem:
        print(f"claude-otel demo: {problem}", file=sys.stderr)
        return 2
    # importing the SDK, OpenTelemetry and rich takes a second or two (more on a busy machine): say so
    print("claude-otel demo: loading the SDK, OpenTelemetry and the instrumentation ...", flush=True)
    from .runner import DemoConfig, run_demo

    cfg = DemoConfig(
        agents=args.agents,
        duration=args.duration,
        fault_rate=args.fault_rate,
        metrics_port=args.metrics_port,
        report=args.report,
        live=not args.no_live and sys.stdout.isatty(),
        seed=args.seed,
        hold=args.hold,
        mock_faults=not args.no_network_faults,
        incidents=store_path(args),
    )
    _report, _path, interrupted = run_demo(cfg)
    return 130 if interrupted else 0
