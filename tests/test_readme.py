"""The README is the user's contract: its commands, metrics and label values must be the ones the code has."""

from __future__ import annotations

import re
from pathlib import Path

from prometheus_client import CollectorRegistry

from claude_otel.core.client_label import CLIENT_LABELS
from claude_otel.instrumentation import metrics as metrics_module
from claude_otel.instrumentation.internal import INTERNAL_REASONS

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _first_commands() -> list[str]:
    block = re.search(r"```bash\n(.*?)```", README, re.S)
    assert block, "the README opens with a bash block"
    return [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]


def test_readme_opens_with_the_demo_and_the_test_command() -> None:
    demo, tests = _first_commands()[:2]
    assert demo == "pip install -e '.[demo]' && claude-otel demo"
    assert "pytest" in tests
    assert tests in (ROOT / ".ci" / "run").read_text(), "CI must run the README's test command verbatim"


def test_every_metric_and_label_value_is_documented() -> None:
    registry = CollectorRegistry()
    metrics_module.Metrics(registry)
    names = {m.name for m in registry.collect()}
    assert names, "the metrics registered something"
    for name in names:
        assert re.search(rf"`{re.escape(name)}(_total)?`", README), f"{name} is not in the README"
    values = (
        *INTERNAL_REASONS,
        *CLIENT_LABELS,
        *metrics_module.PREDICTED,
        *metrics_module.OUTCOMES,
        *metrics_module.STOP_REASONS,
        *metrics_module.STREAM_OUTCOMES,
    )
    for value in values:
        assert value in README, f"label value {value!r} is not in the README"


def test_rule_counts_in_the_readme_are_current() -> None:
    from claude_otel.core import RULES
    from claude_otel.mock import ENFORCED_RULES

    assert f"({len(RULES)} rules," in README, "the README's count of core rules is stale"
    assert f"({len(ENFORCED_RULES)} rules:" in README, "the README's count of mock-enforced rules is stale"
