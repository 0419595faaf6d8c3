"""`claude-otel skeleton` and `claude-otel rules`, run as the installed console script."""

from __future__ import annotations

import orjson
from clihelp import CANARY, dump, run_cli, tool_loop_body

from claude_otel.core import CATEGORIES, RULES


def _canary_body() -> dict:
    body = tool_loop_body(3, text=CANARY)
    body["system"] = [{"type": "text", "text": f"system {CANARY}"}]
    body["messages"][0]["content"] = [
        {"type": "text", "text": CANARY},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": CANARY * 50}},
    ]
    body["messages"][1]["content"].insert(0, {"type": "thinking", "thinking": CANARY, "signature": CANARY})
    body["thinking"] = {"type": "enabled", "budget_tokens": 2048}
    return body


def test_skeleton_prints_json_without_content(write) -> None:
    path = write("body.json", dump(_canary_body()))
    proc = run_cli("skeleton", str(path))
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout.decode()
    assert CANARY not in text
    skel = orjson.loads(text)
    assert skel["model"] == "claude-sonnet-4-5-20250929"
    roles = [m["role"] for m in skel["messages"]]
    assert roles == ["user", "assistant", "user", "assistant", "user", "assistant", "user"]
    blocks = skel["messages"][1]["blocks"]
    assert [b["type"] for b in blocks] == ["thinking", "text", "tool_use"]
    assert blocks[2]["id"] == "toolu_01A09q90qw90lq917800000"
    assert skel["messages"][2]["blocks"][0]["tool_use_id"] == "toolu_01A09q90qw90lq917800000"


def test_skeleton_stdin_and_jsonl(write) -> None:
    proc = run_cli("skeleton", "-", stdin=dump(_canary_body()))
    assert proc.returncode == 0 and CANARY not in proc.stdout.decode()
    path = write("many.jsonl", dump(_canary_body()) + b"\n" + dump(tool_loop_body(1)) + b"\n")
    proc = run_cli("skeleton", str(path))
    lines = proc.stdout.decode().splitlines()
    assert proc.returncode == 0 and len(lines) == 2
    assert [len(orjson.loads(line)["messages"]) for line in lines] == [7, 3]


def test_skeleton_invalid_json_exits_2(write) -> None:
    path = write("bad.json", b'{"messages": [')
    proc = run_cli("skeleton", str(path))
    assert proc.returncode == 2
    assert proc.stderr.decode().startswith(f"claude-otel skeleton: {path}: line 1 column")
    assert "Traceback" not in proc.stderr.decode()


def test_rules_lists_every_rule_and_category() -> None:
    proc = run_cli("rules")
    assert proc.returncode == 0
    out = proc.stdout.decode()
    for rule in RULES.values():
        assert any(line.split()[:2] == [rule.id, rule.severity] for line in out.splitlines()), rule.id
        assert rule.fix in out
    for category in CATEGORIES:
        assert any(line.split()[:2] == [category, "category"] for line in out.splitlines()), category
    assert "(error on bedrock)" in out


def test_rules_json() -> None:
    data = orjson.loads(run_cli("rules", "--json").stdout)
    assert [r["id"] for r in data["rules"]] == list(RULES)
    assert [c["id"] for c in data["categories"]] == list(CATEGORIES)
    assert all(r["severity"] in ("error", "warning") and r["summary"] and r["fix"] for r in data["rules"])
    by_id = {c["id"]: c for c in data["categories"]}
    assert by_id["tool_result_missing"]["is_rule"] is True
    assert by_id["prompt_too_long"]["is_rule"] is False
