"""The analyze() contract: inputs, parse errors, size limit, providers, prediction, model table."""

from __future__ import annotations

import json

import pytest
from core_bodies import asst, body, tool_loop, tr, tu, user, wire

from claude_otel.core import RULES, analyze, model_capabilities, normalize_model, rule_info
from claude_otel.core.models import FAMILIES, MODEL_LABELS


def test_bytes_str_and_mapping_give_the_same_findings() -> None:
    b = body([user("q"), asst([tu("toolu_01A")]), user("never mind")])
    by_bytes = analyze(wire(b))
    by_str = analyze(wire(b).decode())
    by_dict = analyze(b)
    assert by_bytes.findings == by_str.findings == by_dict.findings
    assert by_bytes.predicted == "error" and not by_bytes.ok
    assert by_bytes.shape.body_bytes == len(wire(b)) == by_str.shape.body_bytes
    assert by_bytes.body == b  # kept for in-process follow-up checks


def test_a_mapping_of_dict_and_str_subclasses_is_read_like_its_json() -> None:
    """A caller's body built from OrderedDicts (or other subclasses) is the same request on the wire."""
    from collections import OrderedDict

    class Role(str):
        pass

    b = body([user("q"), asst([tu("toolu_01A")]), user([tr("toolu_01A")])])
    odd = dict(b)
    odd["messages"] = [
        OrderedDict((k, Role(v) if k == "role" else v) for k, v in m.items()) for m in b["messages"]
    ]
    a = analyze(odd)
    assert a.findings == analyze(wire(b)).findings == ()
    assert a.predicted == "ok" and a.shape.messages_by_role == {"user": 2, "assistant": 1}
    assert a.shape.body_bytes == len(wire(b))


def test_invalid_json_says_where() -> None:
    raw = b'{"model": "claude-sonnet-4-5",\n "messages": [}'
    a = analyze(raw)
    assert a.predicted == "unparsed" and a.parse_error is not None
    assert a.parse_error.startswith("line 2 column 15: ")
    assert a.findings == () and a.body is None
    assert a.shape.body_bytes == len(raw)


@pytest.mark.parametrize(
    ("raw", "what"), [(b"[]", "list"), (b'"x"', "str"), (b"3", "int"), (b"null", "NoneType")]
)
def test_json_that_is_not_an_object_is_unparsed(raw: bytes, what: str) -> None:
    a = analyze(raw)
    assert a.predicted == "unparsed"
    assert a.parse_error == f"body is a JSON {what}, not an object"


def test_non_bytes_input_is_a_clear_error_not_an_exception() -> None:
    a = analyze(12345)  # type: ignore[arg-type]
    assert a.predicted == "unparsed" and "int" in (a.parse_error or "")


def test_body_above_max_bytes_is_skipped_unparsed() -> None:
    raw = wire(body(tool_loop()))
    a = analyze(raw, max_bytes=100)
    assert a.predicted == "skipped" and a.shape.body_bytes == len(raw)
    assert a.shape.message_count == 0 and a.body is None
    assert analyze(raw, max_bytes=len(raw)).predicted == "ok"


def test_provider_changes_severity_only_where_the_reference_says() -> None:
    b = wire(body([asst("Hello!"), user("hi")]))
    assert analyze(b, provider="anthropic").predicted == "warning"
    assert analyze(b, provider="vertex").predicted == "warning"
    assert analyze(b, provider="bedrock").predicted == "error"
    assert analyze(b, provider="nonsense").predicted == "warning"  # unknown provider: first-party rules


def test_betas_are_recorded_in_the_shape() -> None:
    a = analyze(wire(body([user("q")])), betas=("advanced-tool-use-2025-11-20",))
    assert a.shape.betas == ("advanced-tool-use-2025-11-20",)
    assert a.shape.as_dict()["betas"] == ["advanced-tool-use-2025-11-20"]


def test_the_beta_header_is_read_the_same_every_time_and_its_memo_stays_bounded() -> None:
    """The header's text is parsed once (a client sends the same on every request): the same names, from
    a str subclass too; at most _BETAS_MEMO_MAX headers remembered, none longer than _BETAS_MEMO_CHARS."""
    from claude_otel.core import analysis

    raw = wire(body([user("q")]))
    header = " advanced-tool-use-2025-11-20 , ,context-1m-2025-08-07"
    want = ("advanced-tool-use-2025-11-20", "context-1m-2025-08-07")
    for _ in range(2):
        assert analyze(raw, betas=header).shape.betas == want

    class Header(str):
        pass

    assert analyze(raw, betas=Header(header)).shape.betas == want
    for k in range(3 * analysis._BETAS_MEMO_MAX):
        analyze(raw, betas=f"beta-{k}")
        assert len(analysis._BETAS_MEMO) <= analysis._BETAS_MEMO_MAX
    long = ",".join(f"b{k}" for k in range(2000))
    assert len(long) > analysis._BETAS_MEMO_CHARS
    assert len(analyze(raw, betas=long).shape.betas) == 2000
    assert long not in analysis._BETAS_MEMO


def test_shape_counts_and_flags() -> None:
    b = body(
        [
            user("q"),
            asst([tu("toolu_01A"), tu("toolu_01B")]),
            user([tr("toolu_01A")]),
            user([tr("toolu_01B")]),
            asst([tu("toolu_01C")]),
        ],
        stream=True,
        tool_choice={"type": "auto"},
    )
    s = analyze(wire(b)).shape
    assert (s.model, s.stream, s.max_tokens, s.tool_choice) == (
        "claude-sonnet-4-5-20250929",
        True,
        4096,
        "auto",
    )
    assert s.message_count == 5 and s.messages_by_role == {"user": 3, "assistant": 2}
    assert s.block_counts == {"text": 1, "tool_use": 3, "tool_result": 2}
    assert (s.tool_use_count, s.tool_result_count) == (3, 2)
    assert s.results_split and not s.text_before_tool_result
    assert s.last_role == "assistant" and s.pending_tool_use_count == 1
    d = s.as_dict()
    json.dumps(d)
    assert d["tools_declared"] == 2


def test_pending_counts_unanswered_ids_of_the_last_assistant_turn() -> None:
    b = body([user("q"), asst([tu("toolu_01A"), tu("toolu_01B")]), user([tr("toolu_01A")])])
    a = analyze(wire(b))
    assert a.shape.pending_tool_use_count == 1 and a.predicted == "error"


def test_unknown_block_types_are_counted_as_other() -> None:
    a = analyze(wire(body([user([{"type": "hologram"}, {"type": "text", "text": "x"}])])))
    assert a.shape.block_counts == {"other": 1, "text": 1}
    assert a.ok


@pytest.mark.parametrize(
    ("model", "label"),
    [
        ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
        ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"),
        ("claude-opus-4-1@20250805", "claude-opus-4-1"),
        ("claude-sonnet-4-20250514", "claude-sonnet-4"),
        ("anthropic/claude-opus-4-6", "claude-opus-4-6"),
        ("claude-fable-5-1", "claude-fable-5"),
        ("gpt-4o", "other"),
        ("", "none"),
        (None, "none"),
    ],
)
def test_normalize_model_is_bounded(model: str | None, label: str) -> None:
    assert normalize_model(model) == label
    assert label in MODEL_LABELS


def test_capability_table_rows() -> None:
    caps = model_capabilities("claude-opus-4-6")
    assert caps is not None and caps.prefill is False and caps.max_tokens == 128000
    assert model_capabilities("claude-sonnet-4-5").prefill is True  # type: ignore[union-attr]
    assert model_capabilities("my-fine-tune") is None
    assert all(f.startswith("claude-") for f in FAMILIES)


def test_unknown_model_is_never_judged_on_capabilities() -> None:
    b = body(
        [user("q"), asst("The answer is")],
        model="claude-next-9",
        max_tokens=10**6,
        thinking={"type": "adaptive"},
    )
    assert analyze(wire(b)).findings == ()


def test_rule_catalogue() -> None:
    for rid, info in RULES.items():
        assert rid == info.id and rid.isidentifier() and rid == rid.lower()
        assert info.severity in ("error", "warning") and info.group in "ABCDEFGHI"
        assert info.summary and info.fix and "\n" not in info.summary + info.fix
        assert set(info.provider_severity) <= {"anthropic", "bedrock", "vertex"}
    assert rule_info("tool_use_not_trailing").severity_for("bedrock") == "error"
    assert rule_info("tool_use_not_trailing").severity_for("anthropic") == "warning"
    with pytest.raises(KeyError, match="unknown rule id"):
        rule_info("no_such_rule")


def test_core_does_not_import_otel_or_prometheus() -> None:
    import subprocess
    import sys

    code = (
        "import sys, claude_otel.core as c; c.analyze(b'{}'); c.skeleton(b'{}');"
        "bad=[m for m in sys.modules if m.startswith(('opentelemetry','prometheus_client'))]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_tools_results_are_reused_only_for_equal_tools() -> None:
    bad_tools = [{"name": "weather.get", "input_schema": {"type": "object"}}]
    b = body([user("q")], tools=bad_tools)
    first = analyze(wire(b), provider="vertex")
    second = analyze(wire(b), provider="vertex")  # served from the tools cache
    assert [f.rule for f in first.findings] == [f.rule for f in second.findings] == ["tool_name_pattern"]
    bad_tools[0]["name"] = "weather_get"  # a different tool set is checked afresh
    assert analyze(wire(b), provider="vertex").findings == ()
    first.body["tools"][0]["name"] = "still.bad"  # mutating a returned body does not poison the cache
    bad_tools[0]["name"] = "weather.get"
    assert [f.rule for f in analyze(wire(b), provider="vertex").findings] == ["tool_name_pattern"]
    strict = [{"name": "w", "strict": True, "input_schema": {"type": "object"}}]
    closed = [
        {"name": "w", "strict": True, "input_schema": {"type": "object", "additionalProperties": False}}
    ]
    assert analyze(wire(body([user("q")], tools=strict))).findings[0].rule == "strict_schema_not_closed"
    assert analyze(wire(body([user("q")], tools=closed))).findings == ()


def test_category_descriptions_are_exported_with_the_categories() -> None:
    from claude_otel.core import CATEGORIES, CATEGORY_INFO

    assert tuple(CATEGORY_INFO) == CATEGORIES
    assert CATEGORY_INFO["prompt_too_long"] and "\n" not in CATEGORY_INFO["unclassified"]
