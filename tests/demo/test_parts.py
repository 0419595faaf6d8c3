"""The demo's pure parts: fleet plan, reading the Prometheus registry, the report and its summary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from claude_otel.demo.agents import plan_fleet
from claude_otel.demo.faults import FAULT_KINDS, FAULTS
from claude_otel.demo.metrics_view import parse_exposition, read_registry
from claude_otel.demo.report import build_report, request_totals, summary_lines, write_report
from claude_otel.demo.scenarios import SCENARIO_NAMES, SCENARIOS, to_request_blocks, tool_results
from claude_otel.demo.tally import Tally


def test_fleet_covers_every_fault_kind_when_there_are_enough_buggy_agents() -> None:
    fleet = plan_fleet(16, 0.5, seed=7)
    buggy = [s for s in fleet if s.fault]
    assert len(buggy) == 8
    assert sorted(s.fault for s in buggy) == sorted(FAULT_KINDS)
    assert all(s.scenario == FAULTS[s.fault].needs for s in buggy if s.fault)
    clean = [s for s in fleet if not s.fault]
    assert {s.scenario for s in clean} == set(SCENARIO_NAMES)
    assert {s.stream for s in fleet} == {True, False}


def test_fleet_plan_is_seeded_and_honours_the_fault_rate() -> None:
    assert plan_fleet(8, 0.5, seed=1) == plan_fleet(8, 0.5, seed=1)
    assert sum(1 for s in plan_fleet(8, 0.25, seed=1) if s.fault) == 2
    assert all(s.fault is None for s in plan_fleet(5, 0.0, seed=1))
    assert all(s.fault for s in plan_fleet(5, 1.0, seed=1))


@pytest.mark.parametrize(("agents", "rate", "message"), [(0, 0.5, "agents"), (4, 1.5, "fault rate")])
def test_fleet_plan_rejects_bad_input(agents: int, rate: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        plan_fleet(agents, rate, seed=1)


def test_response_blocks_become_request_blocks() -> None:
    content = [
        {"type": "text", "text": "hi", "citations": None},
        {"type": "thinking", "thinking": "t", "signature": "s"},
        {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "X"}, "caller": None},
        {"type": "tool_search_tool_result", "tool_use_id": "srvtoolu_1", "content": {"type": "x"}},
    ]
    assert to_request_blocks(content) == [
        {"type": "text", "text": "hi"},
        {"type": "thinking", "thinking": "t", "signature": "s"},
        {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "X"}},
        {"type": "tool_search_tool_result", "tool_use_id": "srvtoolu_1", "content": {"type": "x"}},
    ]
    assert [r["tool_use_id"] for r in tool_results(content)] == ["toolu_1"]


def test_scenario_bodies_carry_their_features() -> None:
    assert SCENARIOS["thinking"].body([])["thinking"]["type"] == "enabled"
    assert SCENARIOS["code_execution"].body([], container="container_1")["container"] == "container_1"
    assert any(t.get("defer_loading") for t in SCENARIOS["tool_search"].body([])["tools"])


def _registry() -> CollectorRegistry:
    reg = CollectorRegistry()
    req = Counter(
        "claude_otel_requests", "r", ["endpoint", "model", "client", "predicted", "outcome"], registry=reg
    )
    req.labels("messages", "m", "anthropic-python", "error", "invalid_request").inc(3)
    req.labels("messages", "m", "anthropic-python", "error", "ok").inc(1)
    req.labels("messages", "m", "anthropic-python", "ok", "invalid_request").inc(2)
    req.labels("messages", "m", "anthropic-python", "ok", "ok").inc(10)
    req.labels("messages", "m", "anthropic-python", "ok", "rate_limited").inc(4)
    err = Counter("claude_otel_errors", "e", ["category", "predicted", "status_class"], registry=reg)
    err.labels("tool_result_missing", "error", "4xx").inc(3)
    find = Counter("claude_otel_findings", "f", ["rule", "severity"], registry=reg)
    find.labels("tool_result_missing", "error").inc(3)
    find.labels("tool_use_not_trailing", "warning").inc(1)
    return reg


def test_metrics_view_reads_the_prediction_table_from_the_registry() -> None:
    view = read_registry(_registry())
    assert view.requests == 20
    assert view.prediction == {
        "predicted_and_failed": 3,
        "predicted_but_succeeded": 1,
        "failed_not_predicted": 2,
        "ok_not_predicted": 10,
    }
    assert view.errors_by_category == {"tool_result_missing": 3}
    assert view.findings_by_rule == {"tool_result_missing": 3}
    assert view.warnings_by_rule == {"tool_use_not_trailing": 1}
    sums = parse_exposition(generate_latest(_registry()).decode())
    assert sums["claude_otel_requests_total"] == 20
    assert sums["claude_otel_errors_total"] == 3


def test_report_and_summary(tmp_path: Path) -> None:
    fleet = plan_fleet(3, 0.34, seed=1)
    kind = next(s.fault for s in fleet if s.fault)
    tally = Tally()
    for spec in fleet:
        tally.add_agent(spec.kind)
    tally.request(kind, injected=True, predicted="error", error_rules={"r"}, status=400, category="c")
    tally.request("clean", injected=False, predicted="ok", error_rules=set(), status=200, category=None)
    tally.request(
        "clean", injected=False, predicted="ok", error_rules=set(), status=429, category="rate_limit"
    )
    report = build_report(
        config={"agents": 3},
        fleet=fleet,
        tally=tally.snapshot(),
        metrics={"requests": 3, "requests_by_outcome": {"invalid_request": 1, "ok": 1, "rate_limited": 1}},
        metrics_url="http://127.0.0.1:1/metrics",
        metrics_scrape={"ok": True},
        mock_url="http://127.0.0.1:2",
        elapsed_s=1.234,
        interrupted=False,
    )
    assert report["faults"][kind]["injected_400"] == 1 and report["faults"][kind]["predicted"] == 1
    assert report["clean"] == {
        "agents": 2,
        "requests": 2,
        "errors_400": 0,
        "categories": {},
        "error_findings": {},
        "error_findings_total": 0,
        "other_errors": 1,
        "conversations_completed": 0,
    }
    assert report["prediction"]["predicted_and_failed"] == 1 and report["prediction"]["ok_not_predicted"] == 1
    path = write_report(report, tmp_path / "a" / "b.json")
    assert json.loads(path.read_text()) == report
    text = "\n".join(summary_lines(report))
    assert "3 requests by 3 agents in 1.23 s" in text  # no part but the agents' own calls: none named
    assert f"{kind}" in text and "c=1" in text


@pytest.mark.parametrize("width", [80, 140])
def test_live_frame_shows_operator_numbers_and_ground_truth(width: int) -> None:
    from rich.console import Console

    from claude_otel.demo.live import render

    tally = Tally()
    tally.add_agent("drop_result")
    tally.request(
        "drop_result", injected=True, predicted="error", error_rules={"r"}, status=400, category="c"
    )
    frame = render(
        read_registry(_registry()),
        tally.snapshot(),
        elapsed=1.0,
        duration=20,
        mock_url="http://127.0.0.1:1",
        metrics_url="http://127.0.0.1:2/metrics",
        width=width,
    )
    console = Console(record=True, width=width, color_system=None)
    console.print(frame)
    text = console.export_text()
    assert "requests 20" in text and "400s 5" in text
    assert "predicted 400, got 400" in text and "400 not predicted" in text
    assert "drop_result" in text and "tool_result_missing" in text
    assert max(len(line) for line in text.splitlines()) <= width


def test_fleet_mixes_sync_and_async_clients() -> None:
    fleet = plan_fleet(16, 0.5, seed=1)
    modes = {(s.use_async, s.stream) for s in fleet}
    assert modes == {(False, False), (False, True), (True, False), (True, True)}
    assert {s.use_async for s in fleet if s.fault is None} == {False, True}


def test_mock_process_serves_and_reports_a_bad_start() -> None:
    import urllib.error
    import urllib.request

    from claude_otel.demo.mockproc import MockProcess

    with MockProcess({"seed": 1}) as mock:
        assert mock.base_url.startswith("http://127.0.0.1:")
        request = urllib.request.Request(mock.base_url + "/v1/messages", data=b"{}", method="POST")
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(request, timeout=10)
        assert err.value.code == 400  # a Messages API that checks shapes answers from the child process
    with pytest.raises(RuntimeError, match="the mock server failed to start: ValueError"):
        MockProcess({"tool_rounds": -1}).__enter__()


def _tool_turn(*ids: str, container: str | None = None, stop: str = "tool_use") -> dict:
    content = [{"type": "tool_use", "id": i, "name": "get_weather", "input": {"city": "X"}} for i in ids]
    response: dict = {"content": [{"type": "text", "text": "ok"}, *content], "stop_reason": stop}
    if container:
        response["container"] = {"id": container, "expires_at": "2026-01-01T00:00:00Z"}
    return response


def test_conversation_injects_its_fault_once_where_it_applies() -> None:
    from claude_otel.demo.agents import Conversation

    conv = Conversation(SCENARIOS["tools"], FAULTS["duplicate_tool_use_id"], inject=True)
    first = conv.next_turn()
    assert first is not None and not first.injected and first.predicted == "ok"
    conv.answer(_tool_turn("toolu_a1", "toolu_a2"))
    second = conv.next_turn()
    assert second is not None and not second.injected  # needs an earlier tool turn to reuse an id
    conv.answer(_tool_turn("toolu_b1"))
    third = conv.next_turn()
    assert third is not None and third.injected and third.predicted == "error"
    assert "tool_use_id_duplicate" in third.error_rules
    conv.answer(_tool_turn("toolu_c1"))
    fourth = conv.next_turn()
    assert fourth is not None and not fourth.injected  # once per conversation
    conv.answer({"content": [{"type": "text", "text": "done"}], "stop_reason": "end_turn"})
    assert conv.done and conv.next_turn() is None


def test_conversation_keeps_the_container_and_resends_after_pause_turn() -> None:
    from claude_otel.demo.agents import Conversation

    conv = Conversation(SCENARIOS["code_execution"], None, inject=False)
    conv.next_turn()
    conv.answer(_tool_turn(container="container_1", stop="pause_turn"))
    turn = conv.next_turn()
    assert turn is not None and turn.body["container"] == "container_1"
    assert turn.body["messages"][-1]["role"] == "assistant"  # pause_turn: the assistant turn is resent as is
    conv.answer(_tool_turn("toolu_x", stop="tool_use"))
    turn = conv.next_turn()
    assert turn is not None and turn.body["messages"][-1]["content"][0]["tool_use_id"] == "toolu_x"


FLEET = plan_fleet(3, 0.34, seed=1)
BUGGY = next(s.fault for s in FLEET if s.fault)


def _fleet_run() -> tuple[Tally, CollectorRegistry]:
    """10 calls by the agents, as the tally sees them, and the 15 HTTP requests /metrics counted for them:
    a call answered 429 three times (the SDK retried twice, then gave up), one answered 529 then 200 (one
    retry), 6 more 200s, two 400s; and 2 count_tokens requests. One more call is still in flight."""
    tally = Tally()
    for spec in FLEET:
        tally.add_agent(spec.kind)
    for _ in range(11):
        tally.sending()
    tally.request(
        "clean", injected=False, predicted="ok", error_rules=set(), status=429, category="rate_limit"
    )
    for _ in range(7):
        tally.request("clean", injected=False, predicted="ok", error_rules=set(), status=200, category=None)
    for _ in range(2):
        tally.request(BUGGY, injected=True, predicted="error", error_rules={"tool_result_missing"},
                      status=400, category="tool_result_missing")  # fmt: skip
    reg = CollectorRegistry()
    req = Counter(
        "claude_otel_requests", "r", ["endpoint", "model", "client", "predicted", "outcome"], registry=reg
    )
    req.labels("messages", "m", "anthropic-python", "ok", "rate_limited").inc(3)
    req.labels("messages", "m", "anthropic-python", "ok", "overloaded").inc(1)
    req.labels("messages", "m", "anthropic-python", "ok", "ok").inc(7)
    req.labels("messages", "m", "anthropic-python", "error", "invalid_request").inc(2)
    req.labels("count_tokens", "m", "anthropic-python", "ok", "ok").inc(2)
    return tally, reg


def test_the_report_has_one_request_total_and_names_its_parts(tmp_path: Path) -> None:
    tally, reg = _fleet_run()
    view = read_registry(reg)
    scraped = {"ok": True, "series": parse_exposition(generate_latest(reg).decode())}
    report = build_report(
        config={}, fleet=FLEET, tally=tally.snapshot(), metrics=view.as_dict(), metrics_url=None,
        metrics_scrape=scraped, mock_url=None, elapsed_s=2.5, interrupted=False,
    )  # fmt: skip
    assert report["requests"] == {
        "total": 15,  # what /metrics counts
        "by_agents": 10,
        "sdk_retries": 3,
        "count_tokens": 2,
        "in_flight_at_end": 1,
    }
    assert report["requests"]["total"] == report["metrics"]["requests"]
    assert report["requests"]["total"] == report["metrics_scrape"]["series"]["claude_otel_requests_total"]
    assert report["requests"]["by_agents"] == sum(
        g["requests"] for g in [*report["faults"].values(), report["clean"]]
    )
    assert summary_lines(report)[0] == (
        "15 requests (10 by the agents + 3 SDK retries after 429/529 + 2 count_tokens) by 3 agents in 2.5 s; "
        "1 still in flight at the end"
    )


def test_a_total_the_parts_do_not_explain_is_said() -> None:
    tally, _ = _fleet_run()
    totals = request_totals(tally.snapshot(), {"requests": 16, "requests_by_outcome": {"rate_limited": 3}})
    assert totals["unexplained"] == 16 - 10 - 2  # two of the three 429s were retried


def test_the_scrape_sums_no_creation_timestamps_or_buckets() -> None:
    reg = _registry()
    Histogram("claude_otel_request_messages", "m", registry=reg, buckets=(1, 2, 4)).observe(3)
    text = generate_latest(reg).decode()
    assert "claude_otel_requests_created" in text and "_bucket{" in text  # what a scrape serves
    sums = parse_exposition(text)
    assert not [name for name in sums if name.endswith(("_created", "_bucket"))], sums
    assert sums["claude_otel_request_messages_count"] == 1 and sums["claude_otel_request_messages_sum"] == 3


def test_the_final_frame_shows_the_reports_numbers_and_why_two_tables_differ() -> None:
    from rich.console import Console

    from claude_otel.demo.live import render

    tally, reg = _fleet_run()
    find = Counter("claude_otel_findings", "f", ["rule", "severity"], registry=reg)
    find.labels("tool_result_not_first", "error").inc(1)
    err = Counter("claude_otel_errors", "e", ["category", "predicted", "status_class"], registry=reg)
    err.labels("tool_result_missing", "error", "4xx").inc(2)
    view = read_registry(reg)
    kwargs = {
        "elapsed": 21.04,
        "duration": 20,
        "mock_url": "http://127.0.0.1:1",
        "metrics_url": "m",
        "width": 140,
    }
    console = Console(record=True, width=140, color_system=None)
    console.print(render(view, tally.snapshot(), final=True, **kwargs))  # type: ignore[arg-type]
    text = " ".join(console.export_text().split())
    assert "final numbers (the report's)" in text and "Ctrl-C" not in text
    assert "finished in 21.0 s requests 15 400s 2" in text  # not a stale "19.7/20 s"
    assert "the API answers tool_result_not_first" in text and "with the tool_result_missing text" in text
    console = Console(record=True, width=140, color_system=None)
    console.print(render(read_registry(None), Tally().snapshot(), **kwargs))  # type: ignore[arg-type]
    text = " ".join(console.export_text().split())
    assert "waiting for the first answers" in text and "the API answers" not in text
