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


def _refused(proc, expected: str) -> str:
    err = proc.stderr.decode()
    assert proc.returncode == 2, (proc.stdout, err)
    assert proc.stdout == b""
    assert err.count("\n") == 1 and expected in err, err
    assert err.isprintable() or err[:-1].isprintable()
    return err


def test_empty_input_is_refused_in_one_line() -> None:
    for stdin in (b"", b"  \n\t\n"):
        err = _refused(run_cli("classify", stdin=stdin), "empty input")
        assert err.startswith("claude-otel classify: <stdin>: ")


def test_json_that_is_no_error_body_is_refused() -> None:
    for stdin, kind in ((b"[1, 2, 3]", "a JSON list"), (b"null", "a JSON null"), (b"17", "a JSON int")):
        _refused(run_cli("classify", "--json", stdin=stdin), f"{kind}, not an error response body")


def test_a_json_list_wrapping_an_error_is_still_classified() -> None:
    google = b'[{"error": {"code": 429, "message": "Resource exhausted", "status": "RESOURCE_EXHAUSTED"}}]'
    proc = run_cli("classify", "--json", stdin=google)
    assert proc.returncode == 0
    assert orjson.loads(proc.stdout)["category"] == "rate_limit"


def test_binary_input_is_refused_without_echoing_it(write) -> None:
    noise = bytes(range(256)) * 8  # NUL, ESC, C1 controls, invalid UTF-8
    err = _refused(run_cli("classify", str(write("noise.bin", noise))), "binary data (NUL bytes)")
    assert "\x1b" not in err
    latin1 = "Überlastet: Anfrage abgelehnt".encode("latin-1")  # text, but not UTF-8
    _refused(run_cli("classify", stdin=latin1), "binary data (byte 0xdc at offset 0 is not UTF-8)")


def test_text_cut_inside_a_character_is_still_text() -> None:
    cut = "API Error: 400 due to tool use concurrency issues. Überprüfen".encode()[:-9] + "é".encode()[:1]
    proc = run_cli("classify", "--json", stdin=cut)
    assert proc.returncode == 0, proc.stderr
    assert orjson.loads(proc.stdout)["category"] == "tool_result_missing"


def test_a_status_with_a_binary_body_classifies_by_the_status(write) -> None:
    proc = run_cli("classify", "--status", "503", str(write("noise.bin", bytes(range(256)))))
    assert proc.returncode == 0
    out = proc.stdout.decode()
    assert "category:   server_error" in out and "message:    -" in out
    assert "classified by --status alone" in proc.stderr.decode()


HOSTILE = "API Error: 400 \x1b[2J\x1b]0;pwned\x07 \x9b31m \u202eevil\x7f end"


def test_echoed_text_is_printable_and_bounded() -> None:
    proc = run_cli("classify", stdin=(HOSTILE + " x" * 50_000).encode())
    assert proc.returncode == 0
    out = proc.stdout.decode()
    message = next(line for line in out.splitlines() if line.startswith("message:"))
    assert all(c.isprintable() for c in message), message
    assert "\\x1b[2J" in message and "\\u202e" in message  # shown, not acted on
    assert len(message) < 600 and message.endswith("more characters)")
    assert all(c.isprintable() or c == "\n" for c in out)


def test_json_output_escapes_what_a_terminal_would_act_on_and_keeps_the_value() -> None:
    proc = run_cli("classify", "--json", stdin=HOSTILE.encode())
    assert proc.returncode == 0
    text = proc.stdout.decode()
    assert all(c.isprintable() for c in text.rstrip("\n")), text
    assert orjson.loads(text)["message"] == HOSTILE  # the same value: only its spelling changed
