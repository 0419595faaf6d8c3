"""Known request settings (core/settings.py): the bytes around messages[] decoded and checked once.

A body that starts with a known head (the bytes before the top-level messages array) and ends with its
tail (the bytes after it) is decoded by its messages alone, into the known request, and its request-level
checks are those of the known settings. Every analysis below is compared with one made without known
settings, known tools spans or conversation memory, and with the full path: they must be equal. What must
never happen: a body whose settings differ by one byte analysed with the known ones, or a body whose
middle is not exactly one messages array decoded as if it were."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from analysis_paths import claude_code_bodies, pristine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claude_otel.core import analysis, analyze, clear_caches, schema
from claude_otel.core import settings as known_settings

cc = claude_code_bodies()


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    with pristine():
        yield


def reference(raw: bytes, **kw: Any) -> dict:
    """The analysis with none of the memories (settings, tools spans, conversations), and the full
    path's: equal."""
    tools = list(schema.KNOWN_TOOLS)
    schema.KNOWN_TOOLS.clear()
    analysis._INCREMENTAL = analysis._SETTINGS = False
    try:
        fast = analyze(raw, **kw).as_dict()
        assert not schema.KNOWN_TOOLS or schema.KNOWN_TOOLS.clear() is None
        analysis._FAST_PATH = False
        full = analyze(raw, **kw).as_dict()
    finally:
        analysis._FAST_PATH = analysis._INCREMENTAL = analysis._SETTINGS = True
        schema.KNOWN_TOOLS[:] = tools
    assert fast == full
    return fast


def analysed(raw: bytes, **kw: Any) -> dict:
    got = analyze(raw, **kw).as_dict()
    assert got == reference(raw, **kw)
    return got


def learned(raw: bytes, **kw: Any) -> dict:
    """Analysed twice: settings are learned on their second sighting (the first only notes them)."""
    analysed(raw, **kw)
    return analysed(raw, **kw)


def from_known(raw: bytes) -> bool:
    """Whether the body is decoded by its messages alone (probed without learning); when it is, the
    decode equals the whole body's."""
    hit = known_settings.decode(raw)
    if hit is None:
        return False
    req, _ = hit
    assert req == schema._DECODER.decode(raw)
    return True


def bodies(n: int = 6, **kw: Any) -> list[bytes]:
    """Requests of one session from its first turn on (each with the trailing system message: the
    same system prompt and tools)."""
    return [cc.request(cc.session(t, seed=3, result_chars=300), **kw) for t in range(1, n + 1)]


def test_bodies_with_the_same_settings_are_decoded_by_their_messages() -> None:
    requests = bodies()
    for k, raw in enumerate(requests):
        if k >= 2:  # (the first sighting noted, the second learned)
            assert from_known(raw)
        analysed(raw)
    assert len(known_settings.KNOWN) == 1
    assert known_settings.KNOWN[0].checks  # the request-level result, kept with them


def test_a_changed_byte_in_the_settings_is_not_served_from_the_known_ones() -> None:
    requests = bodies(3)
    for raw in requests:
        analysed(raw)
    raw = requests[-1]
    assert from_known(raw)
    edits = {
        b'"max_tokens":32000': b'"max_tokens":0',  # a finding
        b'"model":"claude-opus-4-6"': b'"model":"claude-opus-4-5"',
        b'"name":"Bash"': b'"name":"B sh"',  # in tools[]: a finding
        b'"thinking":{"type":"adaptive"}': b'"thinking":{"type":"enabled"}',  # a finding (no budget)
        b'"stream":true': b'"stream":false',
    }
    for old, new in edits.items():
        assert old in raw
        edited = raw.replace(old, new, 1)
        assert not from_known(edited)
        got = analysed(edited)
        assert got != analysed(raw) or old.startswith(b'"stream"')
    rng = random.Random(4)
    close = raw.rindex(b'],"system":')
    for i in rng.sample(range(close + 1, len(raw)), 40) + rng.sample(range(0, raw.index(b"[")), 5):
        edited = raw[:i] + (b"Q" if raw[i : i + 1] != b"Q" else b"R") + raw[i + 1 :]
        assert not from_known(edited)
        analysed(edited)


def test_a_middle_that_is_not_one_messages_array_is_decoded_whole() -> None:
    head = b'{"model":"claude-sonnet-4-5","messages":'
    tail = b',"max_tokens":64}'
    first = head + b'[{"role":"user","content":"hello"}]' + tail
    learned(first)
    assert len(known_settings.KNOWN) == 1
    second = head + b'[{"role":"user","content":"a"}],"messages":[{"role":"assistant","content":"b"}]' + tail
    assert not from_known(second)
    got = analysed(second)  # the last messages key counts: one assistant message
    assert got["shape"]["messages_by_role"] == {"assistant": 1}
    assert from_known(head + b"[]" + tail)  # one (empty) array: the full path says what is wrong
    assert analysed(head + b"[]" + tail)["predicted"] == "error"
    for middle in (b'[{"role":"user","content":"a"}] x', b'"text"', b"[{]", b" "):
        raw = head + middle + tail
        assert not from_known(raw)
        analysed(raw)


def test_a_tail_with_another_messages_key_is_not_learned() -> None:
    raw = (
        b'{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"a"}],"max_tokens":64,'
        b'"messages":[{"role":"user","content":"b"}]}'
    )
    analysed(raw)
    analysed(raw.replace(b'"b"', b'"c"'))
    for known in known_settings.KNOWN:  # if learned at all, the array is the last messages key's
        assert not known.tail.count(b'"messages"')


@pytest.mark.parametrize("indent", [None, 1])
def test_bodies_sent_with_whitespace_are_known_too(indent: int | None) -> None:
    requests = [json.dumps(orjson.loads(raw), indent=indent).encode() for raw in bodies(4)]
    for k, raw in enumerate(requests):
        if k >= 2:
            assert from_known(raw)
        analysed(raw)


def test_the_same_settings_under_other_betas_or_provider_are_checked_for_them() -> None:
    requests = bodies(3)
    for raw in requests:
        analysed(raw)
    raw = requests[-1]
    for kw in (
        {"betas": ()},
        {"betas": ("context-management-2025-06-27",)},
        {"betas": "interleaved-thinking-2025-05-14, effort-2025-11-24"},
        {"provider": "bedrock"},
        {"provider": "vertex"},
        {},
    ):
        analysed(raw, **kw)
        analysed(raw, **kw)
    assert len(known_settings.KNOWN[0].checks) <= known_settings.CHECKS_MAX


def test_few_settings_are_kept_large_ones_not_and_learning_is_rationed() -> None:
    for k in range(12):
        learned(
            orjson.dumps(
                {
                    "model": f"claude-sonnet-4-{k}",
                    "max_tokens": 64,
                    "messages": [{"role": "user", "content": "q"}],
                }
            )
        )
    assert len(known_settings.KNOWN) == known_settings.KNOWN_MAX
    clear_caches()
    huge = {
        "model": "claude-sonnet-4-5",
        "max_tokens": 64,
        "system": "x" * (known_settings.ENTRY_MAX_BYTES + 10),
    }
    learned(orjson.dumps({**huge, "messages": [{"role": "user", "content": "q"}]}))
    assert known_settings.KNOWN == []
    # settings that change on every request: learned a few times, then only now and then
    clear_caches()
    learns = 0
    for k in range(200):
        before = list(known_settings.KNOWN)
        analysed(
            orjson.dumps(
                {
                    "model": "claude-sonnet-4-5",
                    "max_tokens": 64,
                    "system": f"now {k}",
                    "messages": [{"role": "user", "content": "q"}],
                }
            )
        )
        learns += before != known_settings.KNOWN
    assert learns <= known_settings._CREDIT_MAX + 200 // known_settings._REFILL + 1


def test_the_real_client_corpus_gives_the_same_answers_in_sequence() -> None:
    corpus = cc.corpus()
    if not corpus:
        pytest.skip("no recorded corpus")
    hits = 0
    for _, raw in corpus:
        hits += from_known(raw)
        analysed(raw)
    assert hits > 0


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000), st.sampled_from(["flip", "insert", "delete", "resend"]), st.booleans())
def test_random_edits_around_known_settings_give_the_reference_answer(
    seed: int, edit: str, tools_first: bool
) -> None:
    clear_caches()
    rng = random.Random(seed)
    history = cc.session(rng.randint(1, 3), seed=seed, result_chars=200)
    body: dict[str, Any] = {"model": "claude-opus-4-6", "max_tokens": 2048}
    if tools_first:
        body["tools"] = cc.tools(rng, 100)
    body["messages"] = history[:2]
    if not tools_first:
        body["tools"] = cc.tools(rng, 100)
    body["metadata"] = {"user_id": "u"}
    learned(orjson.dumps(body))
    body["messages"] = history
    raw = orjson.dumps(body)
    assert from_known(raw)
    i = rng.randrange(len(raw))
    if edit == "flip":
        raw2 = raw[:i] + bytes([rng.randrange(32, 127)]) + raw[i + 1 :]
    elif edit == "insert":
        raw2 = raw[:i] + rng.choice([b" ", b"]", b",", b'"', b"{}"]) + raw[i:]
    elif edit == "delete":
        raw2 = raw[:i] + raw[i + 1 :]
    else:
        raw2 = raw
    from_known(raw2)  # (when it is: the same decode as the whole body's)
    analysed(raw2)


def test_settings_are_learned_on_their_second_sighting() -> None:
    """The first request with a tool set learns nothing (it pays no more than before); the second does."""
    first, second, third = bodies(3)
    analysed(first)
    assert known_settings.KNOWN == [] and schema.KNOWN_TOOLS == []
    analysed(second)
    assert len(known_settings.KNOWN) == 1 and len(schema.KNOWN_TOOLS) == 1
    assert from_known(third)
