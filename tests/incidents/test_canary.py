"""No field of any incident record, log record or packet carries a canary placed in any content field of
the request (text, tool inputs and outputs, thinking, signatures, system, tool descriptions, images) or in
the API key, whichever way the record was made: a 400, a guard block, a prediction that succeeded."""

from __future__ import annotations

import base64
import json
import subprocess
import sys

import httpx
import orjson
from forensics_support import CANARY, broken_turn_body, claude_code_headers, instrumented_mock

from claude_otel.incidents.store import IncidentStore

B64 = base64.b64encode((CANARY + " ").encode() * 30).decode()


def canary_body() -> dict:
    body = broken_turn_body(extra_turns=2)
    body["system"] = [{"type": "text", "text": CANARY}]
    body["thinking"] = {"type": "enabled", "budget_tokens": 2048}
    first = body["messages"][0]["content"]
    first.append({"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": B64}})
    first.append({"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": CANARY}})
    turn = body["messages"][1]["content"]
    turn.insert(0, {"type": "thinking", "thinking": CANARY, "signature": CANARY + "sig"})
    turn.insert(1, {"type": "redacted_thinking", "data": CANARY})
    body["messages"][2]["content"][0]["is_error"] = True
    return body


def _everything(rig, tmp_path) -> str:
    """Every record (raw rows), every `show` packet, the export and every log record, as one text."""
    rig.flush()
    store = IncidentStore(rig.db)
    rows = [bytes(r[0]).decode() for r in store.db.execute("SELECT record FROM incidents")]
    columns = [
        repr(r)
        for r in store.db.execute("SELECT id, kind, category, client, session, burst_id FROM incidents")
    ]
    ids = [json.loads(r)["id"] for r in rows]
    store.close()
    cli = [sys.executable, "-m", "claude_otel.cli", "incidents", "--db", str(rig.db)]
    texts = rows + columns
    texts.append(subprocess.run([*cli, "export"], capture_output=True, text=True, check=True).stdout)
    texts.append(subprocess.run([*cli, "list", "--json"], capture_output=True, text=True, check=True).stdout)
    for i in ids:
        texts.append(subprocess.run([*cli, "show", i], capture_output=True, text=True, check=True).stdout)
    for log in rig.logs.get_finished_logs():
        lr = log.log_record
        texts.append(str(lr.body))
        texts.append(json.dumps(dict(lr.attributes or {}), default=str))
    return "\n".join(texts)


def test_no_canary_in_any_record_of_a_400(tmp_path):
    body = canary_body()
    with instrumented_mock(tmp_path) as rig:
        r = httpx.post(rig.url, json=body, headers=claude_code_headers(), timeout=30)
        assert r.status_code == 400
        text = _everything(rig, tmp_path)
    records = [json.loads(line) for line in text.splitlines() if line.startswith('{"id"')]
    assert records and records[0]["kind"] == "http_error"
    assert records[0]["skeleton"]["messages"]  # the skeleton is there: the test looks at something
    assert CANARY not in text and B64[:40] not in text and "sk-ant-" not in text
    assert any(log.log_record.attributes for log in rig.logs.get_finished_logs())


def test_no_canary_in_a_guard_block(tmp_path):
    body = canary_body()
    with instrumented_mock(tmp_path, guard=True) as rig:
        client = httpx.Client(timeout=30)
        try:
            client.post(rig.url, json=body, headers=claude_code_headers())
        except Exception as exc:  # GuardError: nothing was sent
            assert type(exc).__name__ == "GuardError"
        text = _everything(rig, tmp_path)
    kinds = {json.loads(line)["kind"] for line in text.splitlines() if line.startswith('{"id"')}
    assert kinds == {"guard_block"}
    assert CANARY not in text and B64[:40] not in text
    assert orjson.dumps(body)  # the body did hold the canary


def test_no_canary_in_a_record_of_any_kind_and_the_error_message_switch():
    from claude_otel.core import analyze
    from claude_otel.incidents.record import KINDS, build_record

    raw = orjson.dumps(canary_body())
    findings = analyze(raw).findings
    assert findings
    for kind in KINDS:
        for keep in (True, False):
            record = build_record(
                kind=kind,
                raw=raw,
                user_agent="claude-cli/2.1.332 (external, sdk-cli)",
                betas="claude-code-20250219",
                endpoint="messages",
                predicted="error",
                findings=findings,
                status=400,
                error_message="messages.3: tool_use ids were found without tool_result blocks",
                keep_error_message=keep,
            )
            text = orjson.dumps(record).decode()
            assert CANARY not in text and B64[:40] not in text
            assert (record["error_message"] is not None) is keep
            assert record["failing_message"] == 6 and record["client_version"] == "claude-cli/2.1.332"
