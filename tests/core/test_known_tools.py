"""Decoding around a known tools[] span (core/schema.py KNOWN_TOOLS).

An agent sends the same tool set on every request, often most of its body. The fast path remembers the
last few tools[] spans and where they sat; a body holding one byte for byte at that offset is decoded with
the span spliced out (a marked placeholder) and put back. Every analysis below is compared with one made
without that memory (and without the conversation memory), and with the full path: they must be equal.
What must never happen: a body whose tools[] differs from the known span by one byte, or whose known
bytes sit elsewhere than at its top-level tools value, analysed as if it carried the known tool set."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from analysis_paths import claude_code_bodies, pristine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claude_otel.core import analysis, analyze, clear_caches, schema
from claude_otel.core.schema import decode_request

cc = claude_code_bodies()


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    with pristine():
        yield


def reference(raw: bytes) -> dict:
    """The analysis with no known span (and no conversation memory), and the full path's: equal."""
    saved = list(schema.KNOWN_TOOLS)
    schema.KNOWN_TOOLS.clear()
    analysis._INCREMENTAL = analysis._SETTINGS = False
    try:
        fast = analyze(raw).as_dict()
        analysis._FAST_PATH = False
        full = analyze(raw).as_dict()
    finally:
        analysis._FAST_PATH = analysis._INCREMENTAL = analysis._SETTINGS = True
        schema.KNOWN_TOOLS[:] = saved
    assert fast == full
    return fast


def analysed(raw: bytes) -> dict:
    got = analyze(raw).as_dict()
    assert got == reference(raw)
    return got


def learned(raw: bytes) -> dict:
    """Analysed twice: settings are learned on their second sighting (the first only notes them)."""
    analysed(raw)
    return analysed(raw)


def spliced(raw: bytes) -> bool:
    """Whether the body is decoded around a known span (probed without learning from it); when it is,
    the decode equals the whole body's, the span put back included."""
    req = schema._decode_around_known(raw)
    if req is None:
        return False
    assert any(req.tools is k.raw for k in schema.KNOWN_TOOLS)
    assert req == schema._DECODER.decode(raw)
    return True


def test_a_claude_code_session_decodes_around_its_tool_set() -> None:
    requests = list(cc.steps(6, result_chars=800))
    for k, raw in enumerate(requests):
        analysed(raw)
        if k:
            assert spliced(raw)  # tools[] after the messages: at the same distance from the end
    assert len(schema.KNOWN_TOOLS) == 1


def test_a_tool_set_before_the_messages_is_found_from_the_start() -> None:
    """SDK bodies put tools before messages: the span stays at the same offset from the start."""
    history = cc.session(4, result_chars=600)
    tools = cc.tools(random.Random(3), 600)
    bodies = [
        orjson.dumps(
            {"model": "claude-sonnet-4-5", "max_tokens": 1024, "tools": tools, "messages": history[:n]}
        )
        for n in (3, 5, 7)
    ]
    for raw in bodies:
        assert analysed(raw)["predicted"] != "unparsed"
    assert all(spliced(raw) for raw in bodies[1:])


def test_a_changed_byte_in_tools_is_not_served_from_the_known_span() -> None:
    raw = cc.request(cc.session(3, result_chars=600))
    learned(raw)
    assert spliced(raw)
    start = raw.index(b'"tools":[') + len(b'"tools":')
    end = raw.index(b',"metadata":')
    name = raw.index(b'"name":"Bash"', start) + len(b'"name":"')
    # a tool renamed to one the API rejects: the finding must appear
    bad = raw[:name] + b"B sh" + raw[name + 4 :]
    assert not spliced(bad)
    a = analysed(bad)
    assert "tool_name_pattern" in {f["rule"] for f in a["findings"]}
    # a one-byte change at random places of the span (kept valid JSON: a letter in a description)
    rng = random.Random(5)
    letters = [i for i in range(start, end) if raw[i : i + 1].isalpha() and raw[i - 1 : i].isalpha()]
    for i in rng.sample(letters, 25):
        changed = raw[:i] + (b"Q" if raw[i : i + 1] != b"Q" else b"R") + raw[i + 1 :]
        assert not spliced(changed)
        analysed(changed)
        req = decode_request(changed)
        assert req is not None and bytes(req.tools) == changed[start:end]


def test_the_known_bytes_elsewhere_than_the_tools_value_are_not_taken_for_it() -> None:
    """The known span at its remembered offset, but as another key's value: the top-level tools differ."""
    tools = cc.tools(random.Random(1), 400)
    messages = [{"role": "user", "content": "hello there"}]
    first = orjson.dumps(
        {"model": "claude-sonnet-4-5", "max_tokens": 64, "messages": messages, "tools": tools, "z": 1}
    )
    learned(first)
    assert len(schema.KNOWN_TOOLS) == 1
    other = [{"name": "B sh", "input_schema": {"type": "object"}}]  # a finding if it were looked at
    second = orjson.dumps(
        {
            "model": "claude-sonnet-4-5",
            "max_tokens": 64,
            "tools": other,
            "messages": messages,
            "extra": tools,
            "z": 1,
        }
    )
    assert second.endswith(first[first.index(b'"tools":[') + 8 :])  # the same bytes, the same distance
    assert not spliced(second)
    a = analysed(second)
    assert "tool_name_pattern" in {f["rule"] for f in a["findings"]}
    assert a["shape"]["tools_declared"] == 1
    # duplicated top-level keys: the last value counts, as for orjson
    third = orjson.dumps({"model": "claude-sonnet-4-5", "max_tokens": 64, "messages": messages}).rstrip(b"}")
    for raw in (
        third + b',"tools":' + orjson.dumps(tools) + b',"tools":' + orjson.dumps(other) + b',"z":1}',
        third + b',"tools":' + orjson.dumps(other) + b',"tools":' + orjson.dumps(tools) + b',"z":1}',
    ):
        analysed(raw)


def test_the_span_inside_a_string_is_not_spliced() -> None:
    tools = cc.tools(random.Random(1), 400)
    span = orjson.dumps(tools)
    first = orjson.dumps(
        {
            "model": "claude-sonnet-4-5",
            "max_tokens": 64,
            "messages": [{"role": "user", "content": "hi"}],
            "tools": tools,
        }
    )
    learned(first)
    assert len(schema.KNOWN_TOOLS) == 1
    # the same bytes at the same distance from the end, starting inside a string value: the body is not
    # JSON (the span's first quote closes the string), whatever the splice would make of it
    second = (
        b'{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"hi"}],'
        b'"tools":[],"x":"' + span + b"}"
    )
    assert second.endswith(first[first.index(b'"tools":[') + 8 :])
    assert not spliced(second)
    assert analysed(second)["predicted"] == "unparsed"


def test_few_spans_are_kept_small_ones_not_at_all_and_clear_caches_forgets_them() -> None:
    rng = random.Random(2)
    for k in range(7):
        tools = cc.tools(rng, 300)
        learned(
            orjson.dumps(
                {
                    "model": "claude-sonnet-4-5",
                    "max_tokens": 64,
                    "messages": [{"role": "user", "content": f"q{k}"}],
                    "tools": tools,
                }
            )
        )
    assert len(schema.KNOWN_TOOLS) == schema.KNOWN_TOOLS_MAX
    small = [{"name": "Bash", "input_schema": {"type": "object"}}]
    clear_caches()
    learned(
        orjson.dumps(
            {
                "model": "claude-sonnet-4-5",
                "max_tokens": 64,
                "messages": [{"role": "user", "content": "q"}] * 1,
                "tools": small,
            }
        )
    )
    assert schema.KNOWN_TOOLS == []


def test_the_real_client_corpus_gives_the_same_answers_in_sequence() -> None:
    """Each client's recorded bodies in order (their tool sets repeat): with the known spans carried."""
    corpus = cc.corpus()
    if not corpus:
        pytest.skip("no recorded corpus")
    hits = 0
    for _, raw in corpus:
        hits += spliced(raw)
        analysed(raw)
    assert hits > len([n for n, _ in corpus if n.startswith("claude-code")]) // 2


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(0, 10_000),
    st.sampled_from(["flip", "insert", "delete", "move"]),
    st.booleans(),
)
def test_random_edits_around_a_known_span_give_the_reference_answer(
    seed: int, edit: str, before: bool
) -> None:
    clear_caches()
    rng = random.Random(seed)
    history = cc.session(rng.randint(1, 4), seed=seed, result_chars=300)
    tools: list[Any] = cc.tools(rng, 200)
    body: dict[str, Any] = {"model": "claude-opus-4-6", "max_tokens": 2048}
    if before:
        body["tools"] = tools
    body["messages"] = history
    if not before:
        body["tools"] = tools
    body["metadata"] = {"user_id": "u"}
    raw = orjson.dumps(body)
    learned(raw)
    assert len(schema.KNOWN_TOOLS) == 1
    start = raw.index(b'"tools":[') + 8
    end = start + len(orjson.dumps(tools))
    i = rng.randrange(len(raw))
    if edit == "flip":  # any byte, anywhere (often invalid JSON: unparsed on every path)
        raw2 = raw[:i] + bytes([rng.randrange(32, 127)]) + raw[i + 1 :]
    elif edit == "insert":
        raw2 = raw[:i] + b" " + raw[i:]
    elif edit == "delete":
        raw2 = raw[:i] + raw[i + 1 :]
    else:  # the tool set moved: another message before it, or one tool fewer
        if rng.random() < 0.5:
            body["messages"] = [*history, {"role": "assistant", "content": "ok"}]
        else:
            body["tools"] = tools[1:]
        raw2 = orjson.dumps(body)
    if spliced(raw2):  # put back only when the body's tools[] is the known span, byte for byte
        assert orjson.loads(raw2)["tools"] == orjson.loads(raw[start:end])
    analysed(raw2)
