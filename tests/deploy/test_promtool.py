"""promtool on the shipped Prometheus config and alert rules: syntax, semantics and unit tests."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml
from deploy_support import DEPLOY, require_binary

PROM_DIR = DEPLOY / "prometheus"
ALERTS = PROM_DIR / "alerts.yml"
ALERTS_TEST = PROM_DIR / "alerts_test.yml"
VOLUME_FLOOR = "and on() sum(increase(claude_otel_requests_total"


def promtool(*args: str, cwd: Path = PROM_DIR) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [require_binary("promtool"), *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def alert_rules() -> list[dict]:
    return [r for g in yaml.safe_load(ALERTS.read_text())["groups"] for r in g["rules"]]


def test_check_config_accepts_the_compose_prometheus_config() -> None:
    result = promtool("check", "config", "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "8 rules found" in result.stdout + result.stderr


def test_check_rules_accepts_alerts_yml() -> None:
    result = promtool("check", "rules", "alerts.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_unit_tests_pass() -> None:
    result = promtool("test", "rules", "alerts_test.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_alert_has_firing_and_quiet_unit_tests() -> None:
    tests = yaml.safe_load(ALERTS_TEST.read_text())["tests"]
    cases: dict[str, list[tuple[str, bool]]] = {}
    for t in tests:
        for case in t["alert_rule_test"]:
            cases.setdefault(case["alertname"], []).append((t["name"], bool(case["exp_alerts"])))
    for rule in alert_rules():
        name = rule["alert"]
        seen = cases.get(name, [])
        assert any(fires for _, fires in seen), f"{name}: no test where it fires"
        quiet = [test_name for test_name, fires in seen if not fires]
        assert any("threshold" in n or "single failed scrape" in n for n in quiet), (
            f"{name}: no below-threshold test"
        )
        if VOLUME_FLOOR in rule["expr"]:
            assert any("volume floor" in n for n in quiet), f"{name}: has a volume floor but no test below it"


def test_unit_tests_catch_a_removed_volume_floor(tmp_path: Path) -> None:
    """The quiet-below-the-floor cases are not decoration: lowering the floor makes promtool fail them."""
    (tmp_path / "alerts.yml").write_text(ALERTS.read_text().replace(">= 100", ">= 10"))
    (tmp_path / "alerts_test.yml").write_text(ALERTS_TEST.read_text())
    result = promtool("test", "rules", "alerts_test.yml", cwd=tmp_path)
    assert result.returncode != 0
    failed = set(re.findall(r"name: (.*volume floor[^,\n]*)", result.stdout + result.stderr))
    assert len(failed) == 4, result.stdout


def test_unit_tests_catch_a_raised_threshold(tmp_path: Path) -> None:
    (tmp_path / "alerts.yml").write_text(ALERTS.read_text().replace("> 0.10", "> 0.30"))
    (tmp_path / "alerts_test.yml").write_text(ALERTS_TEST.read_text())
    result = promtool("test", "rules", "alerts_test.yml", cwd=tmp_path)
    assert result.returncode != 0
    assert "ClaudeOtel400RateHigh" in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("grouping", "failing"),
    [
        ("sum by (job, instance, category)", "2 instances of a job"),  # per instance: a fleet never fires
        ("sum by (category)", "per job"),  # across jobs: the demo and the proxy add up
    ],
)
def test_unit_tests_pin_the_stuck_sessions_aggregation(tmp_path: Path, grouping: str, failing: str) -> None:
    rules = ALERTS.read_text()
    assert "sum by (job, category) (claude_otel_stuck_sessions) >= 2" in rules
    (tmp_path / "alerts.yml").write_text(
        rules.replace("sum by (job, category) (claude_otel_stuck", grouping + " (claude_otel_stuck")
    )
    (tmp_path / "alerts_test.yml").write_text(ALERTS_TEST.read_text())
    result = promtool("test", "rules", "alerts_test.yml", cwd=tmp_path)
    assert result.returncode != 0
    failed = re.findall(r"name: (stuck sessions[^,\n]*)", result.stdout + result.stderr)
    assert any(failing in name for name in failed), result.stdout + result.stderr


@pytest.mark.parametrize("rule", alert_rules(), ids=lambda r: r["alert"])
def test_alert_has_summary_description_and_a_runbook_section(rule: dict) -> None:
    annotations = rule["annotations"]
    assert annotations["summary"].strip()
    assert "Look first" in annotations["description"], "the description must say what to look at first"
    url = annotations["runbook_url"]
    assert url == f"deploy/RUNBOOK.md#{rule['alert'].lower()}"
    headings = re.findall(r"^## (\S+)\s*$", (DEPLOY / "RUNBOOK.md").read_text(), flags=re.M)
    assert rule["alert"] in headings
    assert rule["labels"]["severity"] in {"page", "warning"}


def test_amtool_accepts_the_alertmanager_config() -> None:
    """Needs `amtool` (Debian: apt-get install -y prometheus-alertmanager); skipped where it is absent."""
    amtool = require_binary("amtool", package="prometheus-alertmanager")
    result = subprocess.run(
        [amtool, "check-config", str(DEPLOY / "alertmanager/alertmanager.yml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout
