"""`claude-otel check`, run as the installed console script on real files and stdin."""

from __future__ import annotations

import orjson
from clihelp import CANARY, dump, run_cli, tool_loop_body

from claude_otel.core import RULES


def _one_line_error(proc) -> str:
    err = proc.stderr.decode()
    assert "Traceback" not in err
    assert err.count("\n") == 1, err
    assert proc.stdout == b""
    return err


def test_valid_body_exits_0_with_skeleton_and_no_content(write) -> None:
    path = write("ok.json", dump(tool_loop_body(3)))
    proc = run_cli("check", str(path))
    out = proc.stdout.decode()
    assert proc.returncode == 0, out + proc.stderr.decode()
    assert "ok: no findings" in out
    assert "skeleton: model=claude-sonnet-4-5-20250929" in out
    assert "tool_use toolu_01A09q90qw90lq917800002 get_weather" in out  # ids and names are shape
    assert "tool_result ->toolu_01A09q90qw90lq917800002" in out
    assert CANARY not in out


def test_unanswered_tool_use_exits_1_with_path_and_fix(write) -> None:
    path = write("bad.json", dump(tool_loop_body(2, answer_last=False)))
    proc = run_cli("check", str(path))
    out = proc.stdout.decode()
    assert proc.returncode == 1
    assert "400 expected: 1 error(s)" in out
    assert "error   tool_result_missing  at messages.4" in out
    assert "fix: " + RULES["tool_result_missing"].fix in out
    assert "toolu_01A09q90qw90lq917800001" in out
    assert CANARY not in out


def test_json_output_shape(write) -> None:
    path = write("bad.json", dump(tool_loop_body(2, answer_last=False)))
    proc = run_cli("check", "--json", str(path))
    assert proc.returncode == 1
    lines = proc.stdout.decode().splitlines()
    assert len(lines) == 1
    record = orjson.loads(lines[0])
    assert set(record) == {"ok", "findings", "shape"}
    assert record["ok"] is False
    assert [set(f) for f in record["findings"]] == [{"rule", "severity", "path", "message"}]
    assert record["findings"][0]["rule"] == "tool_result_missing"
    assert record["findings"][0]["path"] == "messages.4"
    shape = record["shape"]
    assert shape["model"] == "claude-sonnet-4-5-20250929"
    assert shape["message_count"] == 5
    assert shape["tool_use_count"] == 2 and shape["tool_result_count"] == 1
    assert shape["body_bytes"] == path.stat().st_size
    assert CANARY not in proc.stdout.decode()


def test_stdin_with_dash_and_without_file() -> None:
    body = dump(tool_loop_body(2, answer_last=False))
    for args in (("check", "-", "--json"), ("check", "--json")):
        proc = run_cli(*args, stdin=body)
        assert proc.returncode == 1, proc.stderr
        assert orjson.loads(proc.stdout)["findings"][0]["rule"] == "tool_result_missing"
    assert run_cli("check", stdin=dump(tool_loop_body(1))).returncode == 0


def test_jsonl_one_record_per_body_in_order(write) -> None:
    lines = [
        dump(tool_loop_body(1)),
        b"",
        dump(tool_loop_body(2, answer_last=False)),
        dump(tool_loop_body(4)),
    ]
    path = write("fleet.jsonl", b"\n".join(lines) + b"\n")
    proc = run_cli("check", "--json", str(path))
    assert proc.returncode == 1
    records = [orjson.loads(line) for line in proc.stdout.decode().splitlines()]
    assert [r["ok"] for r in records] == [True, False, True]
    assert [r["shape"]["message_count"] for r in records] == [3, 5, 9]
    human = run_cli("check", str(path)).stdout.decode()
    assert f"{path}:3: 400 expected" in human  # the line number of the failing body
    assert f"{path}:1: ok: no findings" in human
    assert "3 bodies: 1 with errors, 0 with warnings only, 2 ok" in human


def test_jsonl_all_ok_exits_0(write) -> None:
    path = write("fleet.jsonl", dump(tool_loop_body(1)) + b"\n" + dump(tool_loop_body(2)))
    assert run_cli("check", str(path)).returncode == 0


def test_jsonl_from_stdin_with_flag() -> None:
    data = dump(tool_loop_body(1)) + b"\n" + dump(tool_loop_body(2, answer_last=False)) + b"\n"
    proc = run_cli("check", "--jsonl", "--json", stdin=data)
    assert proc.returncode == 1
    assert len(proc.stdout.decode().splitlines()) == 2


def test_invalid_json_exits_2_with_one_line_saying_where(write) -> None:
    path = write("broken.json", b'{\n  "model": "x",\n  "max_tokens": 1,\n  "messages": [}\n')
    proc = run_cli("check", str(path))
    assert proc.returncode == 2
    err = _one_line_error(proc)
    assert err.startswith(f"claude-otel check: {path}: line 4 column")
    assert "not valid JSON" in err


def test_invalid_jsonl_line_names_the_line(write) -> None:
    path = write("fleet.jsonl", dump(tool_loop_body(1)) + b"\n" + b'{"model": "truncated' + b"\n")
    proc = run_cli("check", "--json", str(path))
    assert proc.returncode == 2
    err = _one_line_error(proc)
    assert f"{path}: line 2 column" in err


def test_unreadable_inputs_exit_2(write, tmp_path) -> None:
    cases = [
        (("check", str(tmp_path / "missing.json")), b"", "cannot read: No such file or directory"),
        (("check", str(tmp_path)), b"", "cannot read"),
        (("check", "-"), b"", "empty input"),
        (("check",), b"[1, 2, 3]", "a JSON list, not a request body object"),
        (("check",), b'"just a string"', "a JSON str, not a request body object"),
        (("check",), b"\xff\xfe\x00garbage", "line 1 column 1: not UTF-8 text (byte 0xff)"),
        (("check",), b"\x00garbage", "not valid JSON"),
        (("check", "--jsonl"), b"\n\n", "no JSON lines"),
    ]
    for args, stdin, expected in cases:
        proc = run_cli(*args, stdin=stdin)
        assert proc.returncode == 2, (args, proc.stdout)
        assert expected in _one_line_error(proc), args


def test_provider_makes_a_bedrock_only_rule_an_error(write) -> None:
    body = tool_loop_body(1)
    body["messages"][1]["content"].append({"type": "text", "text": "text after the tool call"})
    path = write("trailing.json", dump(body))
    anthropic = run_cli("check", "--json", str(path))
    bedrock = run_cli("check", "--json", "--provider", "bedrock", str(path))
    assert anthropic.returncode == 0
    assert bedrock.returncode == 1
    assert orjson.loads(anthropic.stdout)["findings"][0] == {
        **orjson.loads(bedrock.stdout)["findings"][0],
        "severity": "warning",
    }
    assert orjson.loads(bedrock.stdout)["findings"][0]["rule"] == "tool_use_not_trailing"
    assert "no 400 expected; 1 warning(s)" in run_cli("check", str(path)).stdout.decode()


def test_bad_provider_is_a_usage_error(write) -> None:
    path = write("ok.json", dump(tool_loop_body(1)))
    proc = run_cli("check", "--provider", "openai", str(path))
    assert proc.returncode == 2
    assert "invalid choice" in proc.stderr.decode()
    assert "Traceback" not in proc.stderr.decode()


def test_long_transcript_skeleton_is_compact_around_the_finding(write) -> None:
    path = write("long.json", dump(tool_loop_body(200, answer_last=False)))
    proc = run_cli("check", str(path))
    out = proc.stdout.decode()
    assert proc.returncode == 1
    assert "messages=401" in out
    assert " 400 user" in out and " 399 assistant" in out  # around the finding at messages.400
    assert "   ..." in out
    assert len(out.splitlines()) < 40


def test_closed_stdout_ends_quietly(write) -> None:
    import subprocess

    from clihelp import console_script

    path = write("fleet.jsonl", b"\n".join(dump(tool_loop_body(3, answer_last=False)) for _ in range(3000)))
    proc = subprocess.Popen(
        [console_script(), "check", str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline().endswith(b"400 expected: 1 error(s), 0 warning(s)\n")
    proc.stdout.close()  # like `| head -1`
    err = proc.stderr.read()
    proc.wait(timeout=120)
    assert err == b""


def test_random_binary_is_not_utf8_text_said_plainly(write) -> None:
    noise = bytes((i * 167 + 13) % 256 for i in range(4000))  # fixed bytes, invalid UTF-8 early on
    err = _one_line_error(run_cli("check", str(write("noise.bin", noise))))
    assert "not UTF-8 text (byte 0x" in err and "surrogates" not in err
    body = dump(tool_loop_body(1))
    err = _one_line_error(
        run_cli("check", "--jsonl", stdin=body + b"\n" + body[:40] + b"\xe9t\xe9" + body[40:])
    )
    assert "<stdin>: line 2 column 41: not UTF-8 text (byte 0xe9)" in err


def test_a_body_over_32_mib_predicts_413_request_too_large(write) -> None:
    from claude_otel.core import classify_error

    body = tool_loop_body(1)
    body["messages"][0]["content"] = "x" * (50 * 1024 * 1024)  # a 50 MB pasted log: valid, but too big
    path = write("huge.json", dump(body))
    proc = run_cli("check", str(path))
    assert proc.returncode == 1
    out = proc.stdout.decode()
    assert out.startswith(f"{path}: 413 expected: 1 error(s), 0 warning(s)")
    assert "  error   request_too_large  at (body)" in out
    finding = orjson.loads(run_cli("check", "--json", str(path)).stdout)["findings"][0]
    assert (finding["rule"], finding["severity"]) == ("request_too_large", "error")
    # what the API answers (Cloudflare's 413) classifies as the category the finding names
    answer = (
        b'{"type":"error","error":{"type":"request_too_large","message":"Request exceeds the maximum size"}}'
    )
    assert classify_error(answer, 413).category == finding["rule"]
