"""``claude-otel incidents list | show ID | export``: read the incident store (read-only)."""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from .store import default_path

    parser.add_argument(
        "--db",
        metavar="PATH",
        default=None,
        help=f"the incident store (default: $CLAUDE_OTEL_INCIDENTS, else {default_path()})",
    )
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    ls = sub.add_parser("list", help="one line per failure experienced (a retry burst is one line)")
    ls.add_argument("--since", metavar="DURATION", help="only incidents this recent (30m, 2h, 7d)")
    ls.add_argument("--category", metavar="C", help="only this error category")
    ls.add_argument(
        "--client", metavar="C", help="only this client label (claude-code, anthropic-sdk-python, ...)"
    )
    ls.add_argument("--session", metavar="S", help="only this session (its id, or kind:id)")
    ls.add_argument("--attempts", action="store_true", help="one line per attempt instead of per burst")
    ls.add_argument("--limit", type=int, default=50, metavar="N", help="at most N lines (default 50)")
    ls.add_argument("--json", action="store_true", help="JSON lines, one record each")
    show = sub.add_parser("show", help="the evidence packet of one incident, as Markdown")
    show.add_argument("id", metavar="ID", help="the incident id (a unique prefix is enough)")
    show.add_argument("--json", action="store_true", help="the record as JSON")
    ex = sub.add_parser("export", help="every record (one per attempt)")
    ex.add_argument("--format", choices=("jsonl",), default="jsonl")
    ex.add_argument("--since", metavar="DURATION")
    for p in (ls, show, ex):
        p.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS, help=argparse.SUPPRESS)


_FROM_SKELETON = (
    "skeleton",
    "model",
    "failing_turn_tools",
    "failing_tool_ids",
    "rewind_to_message",
    "failing_message",
    "failing_block",
)


def _db_path(args: argparse.Namespace) -> str:
    import os

    from .store import default_path

    return args.db or os.environ.get("CLAUDE_OTEL_INCIDENTS") or str(default_path())


def run(args: argparse.Namespace) -> int:
    import sqlite3
    import time

    import orjson

    from .render import bursts, packet_markdown, parse_since, table
    from .store import open_readonly

    if not getattr(args, "action", None):
        print("claude-otel incidents: say list, show ID or export", file=sys.stderr)
        return 2
    path = _db_path(args)
    try:
        store = open_readonly(path)
    except FileNotFoundError:
        print(f"claude-otel incidents: no incident store at {path} (nothing recorded yet?)", file=sys.stderr)
        return 1
    except sqlite3.Error as exc:
        print(f"claude-otel incidents: cannot open {path}: {exc}", file=sys.stderr)
        return 1
    try:
        since = None
        if getattr(args, "since", None):
            try:
                since = time.time() - parse_since(args.since)
            except ValueError as exc:
                print(f"claude-otel incidents: {exc}", file=sys.stderr)
                return 2
        out = sys.stdout
        if args.action == "list":
            records = store.query(
                since=since, category=args.category, client=args.client, session=args.session, limit=100_000
            )
            rows = records if args.attempts else bursts(records)
            rows = rows[: max(0, args.limit)]
            if args.json:
                for r in rows:
                    out.write(orjson.dumps(r).decode() + "\n")
            else:
                out.write(table(rows) + "\n")
            return 0
        if args.action == "show":
            record = store.get(args.id)
            if record is None:
                print(f"claude-otel incidents: no incident {args.id!r} in {path}", file=sys.stderr)
                return 1
            burst = bursts(store.query(burst_id=record.get("burst_id") or record["id"], limit=10_000))
            packet = burst[0] if burst else record
            if packet.get("id") != record["id"]:  # a later attempt: its own record, the burst's counts
                first = packet
                packet = {
                    **record,
                    "attempts": first["attempts"],
                    "attempt_records": first["attempt_records"],
                }
                if record.get("skeleton") is None:  # a repeat: the conversation's shape is the first's
                    packet.update({key: first.get(key) for key in _FROM_SKELETON})
            if args.json:
                out.write(orjson.dumps(packet, option=orjson.OPT_INDENT_2).decode() + "\n")
            else:
                out.write(packet_markdown(packet))
            return 0
        if args.action == "export":
            for r in store.query(since=since, limit=10_000_000, newest_first=False):
                out.write(orjson.dumps(r).decode() + "\n")
            return 0
    finally:
        store.close()
    return 2
