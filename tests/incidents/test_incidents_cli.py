"""`claude-otel incidents list | show | export` over a store the real path wrote: a Claude Code retry burst
(six attempts) and an SDK 429 burst, then one packet ready for a bug report."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx
from forensics_support import SESSION_ID, broken_turn_body, claude_code_headers, instrumented_mock


def cli(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "claude_otel.cli", "incidents", *args],
        capture_output=True,
        text=True,
        check=check,
    )


def _write_incidents(tmp_path):
    with instrumented_mock(tmp_path) as rig:
        body = broken_turn_body()
        with httpx.Client(timeout=30) as client:
            for _ in range(6):
                assert client.post(rig.url, json=body, headers=claude_code_headers()).status_code == 400
            other = broken_turn_body("22222222-aaaa-4bbb-8ccc-000000000009", extra_turns=3)
            sdk_headers = {
                "x-api-key": "k",
                "anthropic-version": "2023-06-01",
                "user-agent": "Anthropic/Python 2.17.0",
            }
            assert client.post(rig.url, json=other, headers=sdk_headers).status_code == 400
        rig.flush()
        return rig.db


def test_list_show_and_export(tmp_path):
    db = str(_write_incidents(tmp_path))
    rows = [json.loads(line) for line in cli("list", "--db", db, "--json").stdout.splitlines()]
    assert len(rows) == 2  # one line per failure experienced
    cc = next(r for r in rows if r["client"] == "claude-code")
    assert cc["attempts"] == 6 and cc["session_stuck"] is True
    assert cc["client_version"] == "claude-cli/2.1.332"
    sdk = next(r for r in rows if r["client"] == "anthropic-sdk-python")
    assert sdk["attempts"] == 1 and sdk["client_version"] == "anthropic-sdk-python 2.17.0"

    assert len(cli("list", "--db", db, "--attempts", "--json").stdout.splitlines()) == 7
    assert len(cli("list", "--db", db, "--client", "claude-code", "--json").stdout.splitlines()) == 1
    assert len(cli("list", "--db", db, "--session", SESSION_ID, "--json").stdout.splitlines()) == 1
    assert len(cli("list", "--db", db, "--category", "rate_limit", "--json").stdout.splitlines()) == 0
    assert len(cli("list", "--db", db, "--since", "1h", "--json").stdout.splitlines()) == 2
    table = cli("list", "--db", db).stdout
    assert "claude-cli/2.1.332" in table and "6 stuck" in table

    packet = cli("show", cc["id"][:10], "--db", db).stdout  # a unique prefix is enough
    for expected in (
        "claude-cli/2.1.332",
        "tool_result_missing",
        "tool_result_not_first",
        "`messages.2.content.1`",
        "`toolu_01BrokenTurnRead`",
        "Rewind the session",
        "messages[0]",
        "| Attempts | 6",
        f"{SESSION_ID}.jsonl",
        "← failing**",  # once, on the failing block (tests/incidents/test_packet_failing_mark.py)
        "Read",
    ):
        assert expected in packet, (expected, packet)
    sdk_packet = cli("show", sdk["id"], "--db", db).stdout
    assert "Fix `messages.8.content.1` (tool_result_not_first)" in sdk_packet

    exported = cli("export", "--db", db, "--format", "jsonl").stdout.splitlines()
    assert len(exported) == 7 and all(json.loads(line)["id"] for line in exported)


def test_missing_store_and_unknown_id(tmp_path):
    missing = cli("list", "--db", str(tmp_path / "none.sqlite"), check=False)
    assert missing.returncode == 1 and "no incident store" in missing.stderr
    db = str(_write_incidents(tmp_path))
    unknown = cli("show", "ffffffffffff", "--db", db, check=False)
    assert unknown.returncode == 1 and "no incident" in unknown.stderr
    bad = cli("list", "--db", db, "--since", "yesterday", check=False)
    assert bad.returncode == 2
