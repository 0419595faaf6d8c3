"""`claude-otel classify`, run as the installed console script on real error texts."""

from __future__ import annotations

import json

import orjson
from clihelp import run_cli

from claude_otel.core import RULES

ORPHAN = (
    "messages.48.content.1: unexpected `tool_use_id` found in `tool_result` blocks: "
    "toolu_019ETtGZEhTBXgWPVsdVnXMh. Each `tool_result` block must have a corresponding `tool_use` block in "
    "the previous message."
)
KEYS = {"family", "status", "error_type", "category", "request_id", "message"}


def _vertex(message: str) -> bytes:
    inner = json.dumps(
        {
            "type": "error",
            "error": {"type": "invalid_request_error", "message": message},
            "request_id": "req_vrtx_011CSURy8kJA4QAXZjsnBj5N",
        }
    )
    return json.dumps({"error": {"code": 400, "message": inner, "status": "INVALID_ARGUMENT"}}).encode()


def test_json_output_on_a_vertex_wrapped_body(write) -> None:
    path = write("error.json", _vertex(ORPHAN))
    proc = run_cli("classify", "--json", str(path))
    assert proc.returncode == 0, proc.stderr
    record = orjson.loads(proc.stdout)
    assert set(record) == KEYS
    assert record == {
        "family": "4xx",
        "status": 400,
        "error_type": "invalid_request_error",
        "category": "tool_result_orphan",
        "request_id": "req_vrtx_011CSURy8kJA4QAXZjsnBj5N",
        "message": ORPHAN.replace("`", ""),
    }


def test_human_output_names_the_fix() -> None:
    proc = run_cli(
        "classify", stdin=b"API Error: 400 due to tool use concurrency issues. Run /rewind to recover"
    )
    out = proc.stdout.decode()
    assert proc.returncode == 0
    assert "category:   tool_result_missing" in out
    assert "family:     4xx (HTTP 400)" in out
    assert RULES["tool_result_missing"].fix in out
    assert "claude-otel check" in out


def test_stdin_dash_sse_error_event() -> None:
    sse = (
        b'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n'
    )
    record = orjson.loads(run_cli("classify", "--json", "-", stdin=sse).stdout)
    assert (record["family"], record["category"], record["status"]) == ("2xx", "overloaded", None)


def test_status_only() -> None:
    record = orjson.loads(run_cli("classify", "--json", "--status", "429", stdin=b"").stdout)
    assert record == {
        "family": "4xx",
        "status": 429,
        "error_type": None,
        "category": "rate_limit",
        "request_id": None,
        "message": None,
    }


def test_arbitrary_bytes_are_classified_not_rejected(write) -> None:
    path = write("junk.bin", b"\x00\xff<html>502 Bad Gateway</html>\xfe")
    proc = run_cli("classify", "--json", "--status", "502", str(path))
    assert proc.returncode == 0
    assert orjson.loads(proc.stdout)["category"] == "server_error"


def test_missing_file_exits_2(tmp_path) -> None:
    proc = run_cli("classify", str(tmp_path / "nope.txt"))
    assert proc.returncode == 2
    assert proc.stderr.decode().count("\n") == 1
    assert "cannot read" in proc.stderr.decode()
