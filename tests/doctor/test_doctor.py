"""The doctor's core on hand-built transcripts: the rebuild as Claude Code does it, the diagnosis, bad
lines, Claude Code's own repairs as notes, the fix plan, and content kept out of every report."""

from __future__ import annotations

import json

import orjson
from transcript_builder import CANARY, Transcript, tool_session

from claude_otel.doctor import diagnose, plan_fix, read_transcript, rebuild
from claude_otel.doctor.fix import rewrite_lines


def _diagnose(t: Transcript, **kw):
    return diagnose(read_transcript(t.data().splitlines(keepends=True)), "s.jsonl", **kw)


def test_healthy_tool_session_with_sibling_results_rebuilds_like_claude_code() -> None:
    t = tool_session()
    rebuilt = rebuild(read_transcript(t.data().splitlines()))
    shapes = [(m.role, [b["type"] for b in m.blocks]) for m in rebuilt.messages]
    assert shapes == [
        ("user", ["text"]),
        ("assistant", ["thinking", "text", "tool_use"]),  # three entries, one message.id: one message
        ("user", ["tool_result"]),
        ("assistant", ["text", "tool_use", "tool_use"]),
        ("user", ["tool_result", "tool_result"]),  # the sibling result off the chain joins
        ("assistant", ["text"]),
        ("user", ["text"]),  # the placeholder for the prompt a resume sends
    ]
    report = _diagnose(t)
    assert report.status == "healthy" and report.broken is None and report.notes == []


def test_text_before_tool_result_is_broken_at_that_entry_with_the_rewind_turn() -> None:
    t = tool_session(damage=True)
    report = _diagnose(t)
    assert report.status == "broken"
    broken = report.as_dict()["broken"]
    assert broken["line"] == 5 and broken["uuid"] == "00000000-0000-4000-8000-000000000005"
    assert broken["rule"] == "tool_result_not_first" and broken["path"] == "messages.2.content.1"
    assert broken["timestamp"] == "2026-12-05T10:00:04.000Z"
    assert "tool_result blocks first" in broken["fix"]
    assert report.as_dict()["rewind_to"] == {
        "line": 1,
        "uuid": "00000000-0000-4000-8000-000000000001",
        "timestamp": "2026-12-05T10:00:00.000Z",
    }
    assert report.evidence is not None and report.evidence["predicted"] == "error"


def test_rewind_turn_is_the_last_prompt_before_the_broken_turn_not_after() -> None:
    t = Transcript()
    t.prompt("first")
    t.assistant(t.text())
    t.prompt("second")
    call = t.tool_use()
    t.assistant(call)
    t.result(call, before=[t.text()])
    t.assistant(t.text())
    t.prompt("third, after the damage")
    report = _diagnose(t, show_prompts=True)
    assert report.rewind is not None and report.rewind.place.line == 3 and report.rewind.words == "second"


def test_interrupted_tool_call_is_healthy_with_claude_codes_repair_noted() -> None:
    t = Transcript()
    t.prompt("go")
    call = t.tool_use()
    uids = t.assistant(t.text(), call)  # the run ended before the result was written
    report = _diagnose(t)
    assert report.status == "healthy"
    assert [n.kind for n in report.notes] == ["interrupted_tool_call"]
    assert report.notes[0].line == t.line_of[uids[-1]]
    rebuilt = report.rebuilt
    assert rebuilt is not None
    synthetic = rebuilt.messages[2].blocks[0]
    assert synthetic["is_error"] is True and synthetic["tool_use_id"] == call["id"]
    assert rebuilt.messages[2].origins[0] is None


def test_orphan_and_duplicate_results_and_duplicated_entries_are_claude_codes_repairs() -> None:
    t = Transcript()
    t.prompt("go")
    call = t.tool_use()
    t.assistant(call)
    t.result(call)
    t.lines.append(t.lines[-1])  # the same entry written twice (same uuid)
    t.entry(
        "user",
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_gone", "content": "x"}]},
    )
    t.assistant(t.text())
    report = _diagnose(t)
    assert report.status == "healthy"
    assert {n.kind for n in report.notes} == {"duplicate_entry_collapsed", "orphan_result_dropped"}


def test_parent_chain_not_file_order_decides_the_conversation() -> None:
    t = Transcript()
    root = t.prompt("go")
    t.assistant(t.text("abandoned branch"))
    t.prompt("abandoned prompt")
    call = t.tool_use()
    t.assistant(t.text(), call, parent=root)  # a rewind: a new branch from the first prompt
    t.result(call)
    rebuilt = rebuild(read_transcript(t.data().splitlines()))
    assert [(m.role, len(m.blocks)) for m in rebuilt.messages] == [
        ("user", 1),
        ("assistant", 2),
        ("user", 1),
        ("assistant", 1),  # "No response requested.", as Claude Code adds after an unanswered user turn
        ("user", 1),  # the placeholder for the resume's prompt
    ]
    assert [e.line for e in rebuilt.chain] == [1, 4, 5, 6]


def test_bad_lines_are_reported_per_line_and_the_scan_goes_on() -> None:
    t = tool_session(damage=True)
    t.lines.insert(1, '{"type":"user","uuid":"x","message":{"role":"us')  # truncated
    t.lines.insert(2, '{"type":"hologram-v9","uuid":"y"}')  # a future entry type
    t.lines.insert(3, "[1, 2]")
    t.lines.insert(4, '{"type":"assistant","uuid":"z","parentUuid":null,"message":{"content":7}}')
    t.lines.append(
        '{"parentUuid":"00000000-0000-4000-8000-000000000009","type":"user","message":{"role":"user","cont'
    )
    report = _diagnose(t)
    problems = {b.line: b.problem for b in report.bad_lines}
    assert problems == {
        2: "invalid JSON (a truncated or damaged line)",
        3: "unknown entry type 'hologram-v9' (skipped)",
        4: "a JSON list, not an object",
        5: "a assistant entry whose message content is neither text nor a list of blocks",
        16: "invalid JSON (a truncated or damaged line)",
    }
    assert report.status == "broken" and report.broken is not None and report.broken.place.line == 9


def test_api_errors_already_recorded_are_reported() -> None:
    t = tool_session(damage=True)
    t.prompt("continue")
    t.entry(
        "assistant",
        {"id": "x", "role": "assistant", "model": "<synthetic>", "content": [t.text("API Error: 400 ...")]},
        isApiErrorMessage=True,
        apiErrorStatus=400,
        apiError="tool_history_mismatch",
    )
    report = _diagnose(t)
    assert report.status == "broken"  # the error entry is not sent; the cause still is
    last = report.as_dict()["api_errors_recorded"]
    assert (
        last["count"] == 1
        and last["last"]["status"] == 400
        and last["last"]["error"] == "tool_history_mismatch"
    )


def test_no_content_in_reports_unless_prompts_are_asked_for() -> None:
    t = tool_session(damage=True)
    report = _diagnose(t)
    assert CANARY not in json.dumps(report.as_dict())
    shown = _diagnose(t, show_prompts=True).as_dict()
    assert shown["rewind_to"]["words"] == "please read the notes CANARY-doctor-9c1e-do-not-leak"


def test_fix_plan_rewrites_only_the_damaged_entry_and_the_copy_is_healthy() -> None:
    t = tool_session(damage=True)
    data = t.data()
    report = diagnose(read_transcript(data.splitlines(keepends=True)))
    assert report.rebuilt is not None
    plan = plan_fix(report.rebuilt)
    assert [e.rule for e in plan.edits] == ["tool_result_not_first"]
    assert sorted(plan.changes) == [5]
    copy = list(rewrite_lines(data.splitlines(keepends=True), plan.changes))
    original = data.splitlines(keepends=True)
    assert [i + 1 for i, (a, b) in enumerate(zip(original, copy, strict=True)) if a != b] == [5]
    entry = orjson.loads(copy[4])
    assert [b["type"] for b in entry["message"]["content"]] == ["tool_result", "text"]
    assert diagnose(read_transcript(copy)).status == "healthy"


def test_an_older_claude_code_drops_the_interrupted_call_instead() -> None:
    t = Transcript()
    t.prompt("go")
    call = t.tool_use()
    t.assistant(t.text(), call)
    older = diagnose(read_transcript(t.data().splitlines()), claude_version="2.1.197")
    assert older.status == "healthy" and [n.kind for n in older.notes] == ["interrupted_tool_call"]
    assert older.rebuilt is not None
    assert [[b["type"] for b in m.blocks] for m in older.rebuilt.messages] == [["text"], ["text"], ["text"]]
    newer = _diagnose(t)  # the transcript says 2.1.332
    assert (
        newer.rebuilt is not None and len(newer.rebuilt.messages) == 5
    )  # + results, "No response requested."


def test_a_subagent_transcript_all_sidechain_is_rebuilt_as_its_own_conversation() -> None:
    t = tool_session(damage=True)
    t.lines = [line.replace('"isSidechain":false', '"isSidechain":true') for line in t.lines]
    report = _diagnose(t)
    assert report.status == "broken" and report.broken is not None and report.broken.place.line == 5
    main = tool_session(damage=True)
    main.lines[4] = main.lines[4].replace('"isSidechain":false', '"isSidechain":true')
    assert _diagnose(main).status == "healthy"  # in a main transcript a sidechain entry is not sent
