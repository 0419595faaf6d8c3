"""`claude-otel rules [--json]`: list every rule id and error category with severity and one line."""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print {rules: [...], categories: [...]}")


def run(args: argparse.Namespace) -> int:
    from ._input import guarded

    return guarded("rules", lambda: _run(args))


def _provider_note(provider_severity: dict[str, str]) -> str:
    if not provider_severity:
        return ""
    return " (" + ", ".join(f"{sev} on {p}" for p, sev in sorted(provider_severity.items())) + ")"


def _run(args: argparse.Namespace) -> int:
    import orjson

    from claude_otel.core import RULES
    from claude_otel.core.classify import CATEGORY_INFO

    rules = [
        {
            "id": r.id,
            "severity": r.severity,
            "provider_severity": dict(r.provider_severity),
            "group": r.group,
            "cross_turn": r.cross_turn,
            "summary": r.summary,
            "fix": r.fix,
        }
        for r in RULES.values()
    ]
    categories = [{"id": c, "is_rule": c in RULES, "description": line} for c, line in CATEGORY_INFO.items()]
    if args.json:
        sys.stdout.write(orjson.dumps({"rules": rules, "categories": categories}).decode() + "\n")
        return 0
    width = max(len(r["id"]) for r in rules + categories)
    lines = [
        "Rules (claude-otel check; error = the API is expected to answer 400, warning = risky or "
        "provider-dependent; * = seen by the instrumentation across turns):"
    ]
    for r in rules:
        mark = "*" if r["cross_turn"] else " "
        note = _provider_note(r["provider_severity"])
        lines.append(f"  {r['id']:<{width}} {r['severity']:<7}{mark} [{r['group']}] {r['summary']}{note}")
        lines.append(f"  {'':<{width}}          fix: {r['fix']}")
    lines.append("")
    lines.append("Error categories (claude-otel classify; the claude_otel_errors_total 'category' label):")
    for c in categories:
        lines.append(f"  {c['id']:<{width}} category {c['description']}")
    sys.stdout.write("\n".join(lines) + "\n")
    return 0
