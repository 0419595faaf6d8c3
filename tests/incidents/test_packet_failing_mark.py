"""The packet's message shape names the failing place once: on the failing block when the API's path (or
the finding's) names a block, else on the failing message. Written by the real path (a Claude Code-shaped
request answered 400 by the mock, the record built and stored off the request path), read back with
`claude-otel incidents show`."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx
from forensics_support import broken_turn_body, claude_code_headers, instrumented_mock

from claude_otel.incidents.render import packet_markdown

MARK = "← failing"


def _show(db: str, incident_id: str) -> str:
    cmd = [sys.executable, "-m", "claude_otel.cli", "incidents", "show", incident_id, "--db", db]
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout


def test_the_failing_block_is_marked_once_in_the_packet(tmp_path):
    with instrumented_mock(tmp_path) as rig:
        for extra_turns in (0, 5):
            body = broken_turn_body(
                f"33333333-aaaa-4bbb-8ccc-00000000000{extra_turns}", extra_turns=extra_turns
            )
            headers = claude_code_headers(f"33333333-aaaa-4bbb-8ccc-00000000000{extra_turns}")
            assert httpx.post(rig.url, json=body, headers=headers, timeout=30).status_code == 400
        rig.flush()
    db = str(rig.db)
    listed = subprocess.run(
        [sys.executable, "-m", "claude_otel.cli", "incidents", "list", "--db", db, "--json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rows = [json.loads(line) for line in listed.splitlines()]
    assert len(rows) == 2
    for row in rows:
        packet = _show(db, row["id"])
        shape = packet.split("## Message shape (content-free)", 1)[1]
        assert shape.count(MARK) == 1, shape
        (line,) = [ln for ln in shape.splitlines() if MARK in ln]
        # on the block the path names, in the message the path names
        assert line.startswith(f"- `[{row['failing_message']}]`"), (line, row["failing_message"])
        if row["failing_block"] is not None:  # on the block, not again after the message
            assert f" **{MARK}**" not in line and f"{MARK}**" in line, line
        assert packet.count(MARK) == 1


def test_a_message_level_failure_is_marked_once_on_the_message():
    record = {
        "id": "inc_test",
        "skeleton": {
            "message_count": 2,
            "messages": [
                {"i": 0, "role": "user", "content": "string", "chars": 5},
                {"i": 1, "role": "user", "failing": True, "blocks": [{"type": "text", "chars": 3}]},
            ],
        },
    }
    text = packet_markdown(record)
    assert text.count(MARK) == 1
    assert "- `[1]` user: text (3 chars) **← failing**" in text
