"""docs/rules.md is the README's rule catalogue: it must be what `claude-otel rules --markdown` prints now."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

from claude_otel.cli import main
from claude_otel.core import CATEGORIES, RULES

DOC = Path(__file__).resolve().parents[2] / "docs" / "rules.md"


def _markdown() -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["rules", "--markdown"]) == 0
    return out.getvalue()


def test_committed_rules_page_is_current() -> None:
    assert DOC.read_text() == _markdown(), "regenerate with: claude-otel rules --markdown > docs/rules.md"


def test_rules_page_lists_every_rule_and_category_once() -> None:
    text = _markdown()
    for rule in RULES:
        assert text.count(f"| `{rule}` |") == (2 if rule in CATEGORIES else 1), rule
    for category in CATEGORIES:
        assert f"| `{category}` |" in text, category


def test_every_group_letter_is_explained_on_the_page_and_in_the_listing() -> None:
    from clihelp import run_cli

    from claude_otel.core.rules import GROUPS

    text = _markdown()
    listing = run_cli("rules").stdout.decode()
    for letter in sorted({r.group for r in RULES.values()}):
        assert GROUPS.get(letter), f"group {letter} has no description"
        assert f"- **{letter}**: {GROUPS[letter]}" in text
        assert f"  [{letter}] {GROUPS[letter]}" in listing
