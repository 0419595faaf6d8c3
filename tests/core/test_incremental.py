"""Incremental analysis (core/conversations.py): a request that continues the previous one of its
conversation is walked only from where that one left off, and the answer is the cold analysis's.

Every request below is analysed twice: with the conversation memory (carried from request to request)
and cold (the memory off: the fast path from scratch), and the two analyses must be identical. The
sequences: Claude Code-shaped sessions (each request the previous plus one turn), and hypothesis-made
histories with random continuations, edits at random depths (a changed byte anywhere, a defect
mid-history, an id changed in the prefix), retries that shed blocks, and dropped or added system
messages. Also: the resume really happens on a session's steady state; a one-byte change anywhere in the
compared prefix is caught; the memory stays bounded in entries and bytes."""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from analysis_paths import claude_code_bodies, pristine
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from claude_otel.core import analysis, analyze, clear_caches, conversations
from claude_otel.core.conversations import ConversationMemory

cc = claude_code_bodies()


@pytest.fixture(autouse=True)
def fresh_memory() -> Iterator[None]:
    with pristine():
        yield


def cold(raw: bytes, **kw: Any) -> dict:
    analysis._INCREMENTAL = False
    try:
        return analyze(raw, **kw).as_dict()
    finally:
        analysis._INCREMENTAL = True


def incremental(raw: bytes, **kw: Any) -> dict:
    got = analyze(raw, **kw).as_dict()
    assert got == cold(raw, **kw)
    return got


def test_a_claude_code_session_is_walked_from_where_the_previous_request_left_off() -> None:
    requests = list(cc.steps(30, result_chars=2500))
    assert len(requests[0]) >= conversations.MIN_BYTES
    for raw in requests:
        a = incremental(raw)
        assert a["predicted"] == "ok"
    # the first request is noted, the second saves a checkpoint and finds the layout, every later one resumes
    assert conversations.MEMORY.resumed == len(requests) - 2


@pytest.mark.parametrize("indent", [None, 1])
def test_a_session_sent_with_whitespace_is_resumed_too(indent: int | None) -> None:
    """Python's json.dumps puts spaces after commas and colons (indent: newlines too)."""
    requests = [
        json.dumps(orjson.loads(raw), indent=indent).encode() for raw in cc.steps(8, result_chars=2500)
    ]
    for raw in requests:
        assert incremental(raw)["predicted"] == "ok"
    assert conversations.MEMORY.resumed == len(requests) - 2


def test_without_the_memory_nothing_resumes() -> None:
    analysis._INCREMENTAL = False
    for raw in cc.steps(6, result_chars=2500):
        analyze(raw)
    assert conversations.MEMORY.resumed == 0 and len(conversations.MEMORY) == 0


def _session_pair() -> tuple[bytes, bytes, bytes]:
    """Three consecutive requests of a session: the memory holds a checkpoint with a layout after two."""
    requests = list(cc.steps(12, result_chars=2500))
    return requests[9], requests[10], requests[11]


def test_a_changed_byte_anywhere_in_the_compared_prefix_is_caught() -> None:
    first, second, third = _session_pair()
    analyze(first)
    analyze(second)
    cp = next(iter(conversations.MEMORY._entries.values()))
    assert cp.prefix > 0 and third.startswith(cp.body[: cp.prefix])
    rng = random.Random(5)
    # every position of the first 2 KB, of the last 2 KB before the checkpoint, and 300 more at random
    positions = [*range(2048), *range(cp.prefix - 2048, cp.prefix)]
    positions += rng.sample(range(cp.prefix), 300)
    resumed = conversations.MEMORY.resumed
    for pos in positions:
        old = third[pos]
        new = ord("Q") if old != ord("Q") else ord("R")  # keeps text valid; breaks keys, ids, numbers
        edited = third[:pos] + bytes([new]) + third[pos + 1 :]
        incremental(edited)
        # restore the memory to the checkpoint of `second` (the edited body replaces it when cold)
        conversations.MEMORY.clear()
        analyze(first)
        analyze(second)
    assert conversations.MEMORY.resumed == resumed  # never resumed from a prefix that differs


def test_resumable_tells_which_requests_will_resume() -> None:
    """conversations.resumable (what the overlap mode asks before handing a body to its thread) says yes
    exactly when analyze() then resumes: not for a new conversation, its second request, a changed byte
    in the prefix or in the bytes after the messages, a str body."""
    first, second, third = _session_pair()
    assert not conversations.resumable(first)
    analyze(first)
    assert not conversations.resumable(second)  # (only noted: no checkpoint yet)
    analyze(second)
    cp = next(iter(conversations.MEMORY._entries.values()))
    assert conversations.resumable(third)
    assert not conversations.resumable(third, "bedrock")  # another provider: another conversation
    assert not conversations.resumable(third.decode())
    for pos in (1500, cp.prefix // 2, cp.prefix - 1, len(third) - 10):
        edited = third[:pos] + (b"Q" if third[pos : pos + 1] != b"Q" else b"R") + third[pos + 1 :]
        assert not conversations.resumable(edited)
    resumed = conversations.MEMORY.resumed
    incremental(third)
    assert conversations.MEMORY.resumed == resumed + 1


def test_the_remembered_match_keeps_nothing_alive_once_used() -> None:
    """resumable() remembers its match for the analyze() of the same bytes; that analyze() uses it and
    lets it go: the replaced checkpoint (a whole decoded request) and the body are not kept alive."""
    import sys

    first, second, third = _session_pair()
    analyze(first)
    analyze(second)
    old = next(iter(conversations.MEMORY._entries.values()))  # replaced by third's checkpoint
    assert conversations.resumable(third)
    held = sys.getrefcount(old)
    analyze(third)
    assert next(iter(conversations.MEMORY._entries.values())) is not old
    assert sys.getrefcount(old) == held - 2  # neither the memory nor the remembered match holds it
    assert conversations._MATCHED == (None, None)


def test_sessions_that_open_alike_keep_their_own_checkpoints_by_session_id() -> None:
    """Keyed by the first KB alone, two sessions that open alike take each other's place request by
    request and never resume; with the session id the client sends, each resumes from its own last
    request, with the cold answers either way."""
    ra, rb = cc.twin_steps(8, result_chars=2500)
    assert ra[0][:1024] == rb[0][:1024] and ra[-1][-60000:] != rb[-1][-60000:]
    for x, y in zip(ra, rb, strict=True):  # interleaved, as concurrent sessions reach the process
        incremental(x)
        incremental(y)
    assert conversations.MEMORY.resumed == 0
    conversations.MEMORY.clear()
    for x, y in zip(ra, rb, strict=True):
        assert conversations.resumable(x, "anthropic", "session-a") == (x is not ra[0] and x is not ra[1])
        incremental(x, conversation="session-a")
        incremental(y, conversation="session-b")
    assert conversations.MEMORY.resumed == 2 * (len(ra) - 2)
    # an id that is not a short str is ignored (the first KB alone keys the conversation)
    conversations.MEMORY.clear()
    for x in ra:
        incremental(x, conversation="x" * (conversations.CONVERSATION_ID_MAX + 1))
        incremental(x, conversation=12)  # type: ignore[arg-type]
    assert len(conversations.MEMORY) == 1


def test_an_id_changed_deep_in_the_prefix_gives_the_cold_finding() -> None:
    first, second, third = _session_pair()
    analyze(first)
    analyze(second)
    body = orjson.loads(third)
    uses = [
        b["id"]
        for m in body["messages"][:6]
        if m["role"] == "assistant"
        for b in m["content"]
        if b["type"] == "tool_use"
    ]
    edited = third.replace(uses[0].encode(), uses[0][:-1].encode() + b"Z", 1)  # the tool_use, not its result
    assert edited != third
    got = incremental(edited)
    assert "tool_result_missing" in [f["rule"] for f in got["findings"]]


def test_a_tail_that_changes_or_hides_another_messages_key_is_not_resumed() -> None:
    first, second, third = _session_pair()
    analyze(first)
    analyze(second)
    resumed = conversations.MEMORY.resumed
    other_model = third.replace(b'"max_tokens":32000', b'"max_tokens":1000')
    incremental(other_model)
    smuggled = third[:-1] + b',"messages":[{"role":"user","content":"hi"}]}'
    incremental(smuggled)
    assert conversations.MEMORY.resumed == resumed


def test_a_nested_messages_key_before_the_array_does_not_confuse_the_layout() -> None:
    requests = [
        raw.replace(b'{"model":', b'{"metadata2":{"messages":[]},"model":', 1)
        for raw in cc.steps(6, result_chars=2500)
    ]
    for raw in requests:
        incremental(raw)
    assert conversations.MEMORY.resumed == len(requests) - 2


def test_the_memory_is_bounded_in_entries_and_bytes() -> None:
    memory = ConversationMemory(max_entries=4, max_bytes=1_000_000)
    state = conversations.WalkState()
    for k in range(20):
        memory.put(("anthropic", k), conversations.Checkpoint(b"x" * 100_000, 1, state, None, 0, b""))
        assert len(memory) <= 4 and memory.bytes <= 1_000_000
    for k in range(20):
        memory.put(("anthropic", k), conversations.Checkpoint(b"x" * 300_000, 1, state, None, 0, b""))
        assert len(memory) <= 4 and memory.bytes <= 1_000_000
    assert len(memory) == 1
    memory.put(("anthropic", "big"), conversations.Checkpoint(b"x" * 600_000, 1, state, None, 0, b""))
    assert memory.bytes <= 1_000_000


# --- random histories, continuations and edits -----------------------------------------------------------

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PAD = "p" * 300


def _turn(rng: random.Random, k: int, names: list[str]) -> list[dict]:
    """One assistant turn (thinking, maybe text, 1-3 calls) and the user turn answering it."""
    ids = [f"toolu_{k:03d}{p}{rng.randrange(10**6):06d}" for p in range(rng.choice([1, 1, 2, 3]))]
    content: list[dict] = [{"type": "thinking", "thinking": PAD, "signature": "c2ln"}]
    if rng.random() < 0.4:
        content.append({"type": "text", "text": "calling " + PAD})
    content += [{"type": "tool_use", "id": i, "name": rng.choice(names), "input": {"q": PAD}} for i in ids]
    results: list[dict] = []
    for i in reversed(ids):
        r: dict = {"type": "tool_result", "tool_use_id": i}
        kind = rng.randrange(4)
        if kind == 0:
            r["content"] = PAD
        elif kind == 1:
            r["content"] = [{"type": "text", "text": PAD}]
        elif kind == 2:
            r["content"] = [{"type": "tool_reference", "tool_name": "deferred"}]
        else:
            r["content"] = PAD
            r["is_error"] = True
        results.append(r)
    if rng.random() < 0.2:
        results.append({"type": "text", "text": "<system-reminder>" + PAD + "</system-reminder>"})
    turns = [{"role": "assistant", "content": content}, {"role": "user", "content": results}]
    if rng.random() < 0.1:
        turns.append({"role": "system", "content": rng.choice(["", "note " + PAD, []])})
    return turns


def _defect(rng: random.Random, messages: list[dict]) -> None:
    """One defect at a random depth: what a client bug or a hand edit leaves."""
    i = rng.randrange(len(messages))
    m = messages[i]
    kind = rng.randrange(8)
    if kind == 0:
        m["content"] = ""
    elif kind == 1 and isinstance(m["content"], list) and m["content"]:
        m["content"].pop(rng.randrange(len(m["content"])))
    elif kind == 2:
        messages.insert(i, {"role": "system", "content": "inserted"})
    elif kind == 3:
        messages.insert(i, copy.deepcopy(m))  # a duplicated message: repeated ids, merged turns
    elif kind == 4 and isinstance(m["content"], list):
        m["content"].insert(0, {"type": "text", "text": " "})
    elif kind == 5:
        m["role"] = {"user": "assistant", "assistant": "user", "system": "user"}[m["role"]]
    elif kind == 6 and isinstance(m["content"], list):
        m["content"].append({"type": "thinking", "thinking": "t", "signature": "s"})
    else:
        messages.pop(i)


def _shed(messages: list[dict]) -> None:
    """A retry that sheds blocks: every thinking block stripped (Claude Code's first retry does that)."""
    for m in messages:
        if m["role"] == "assistant" and isinstance(m["content"], list):
            kept = [b for b in m["content"] if b.get("type") not in ("thinking", "redacted_thinking")]
            m["content"] = kept or [{"type": "text", "text": "done"}]


def _body(messages: list[dict], trailing_system: bool, thinking: str) -> bytes:
    msgs = copy.deepcopy(messages)  # (defects may have removed every message: messages_empty then)
    if msgs and isinstance(msgs[-1]["content"], list) and msgs[-1]["content"]:
        msgs[-1]["content"][-1]["cache_control"] = {"type": "ephemeral"}
    if trailing_system:
        msgs.append({"role": "system", "content": [{"type": "text", "text": "trailing"}]})
    return orjson.dumps(
        {
            "model": "claude-opus-4-6",
            "messages": msgs,
            "system": [{"type": "text", "text": "sys", "cache_control": {"type": "ephemeral"}}],
            "tools": [{"name": n, "input_schema": {"type": "object"}} for n in ("Bash", "Read", "Edit")]
            + [{"name": "deferred", "input_schema": {"type": "object"}, "defer_loading": True}],
            "metadata": {"user_id": '{"session_id":"s"}'},
            "max_tokens": 32000,
            "thinking": {"type": thinking}
            if thinking != "enabled"
            else {"type": "enabled", "budget_tokens": 4096},
            "stream": True,
        }
    )


OPS = ["append", "append", "append", "byte", "defect", "shed", "drop_last", "toggle_system", "thinking"]


@SETTINGS
@given(
    seed=st.integers(0, 2**32 - 1),
    start=st.integers(1, 8),
    ops=st.lists(st.sampled_from(OPS), min_size=2, max_size=7),
    provider=st.sampled_from(["anthropic", "anthropic", "bedrock"]),
)
@example(seed=990, start=1, ops=["drop_last", "drop_last", "defect", "defect"], provider="anthropic")
def test_random_sessions_with_edits_give_the_cold_answer(
    seed: int, start: int, ops: list[str], provider: str
) -> None:
    clear_caches()
    rng = random.Random(seed)
    names = ["Bash", "Read", "Edit", "Unknown"] if rng.random() < 0.1 else ["Bash", "Read", "Edit"]
    messages: list[dict] = [
        {"role": "user", "content": [{"type": "text", "text": "go " + PAD}]},
        {"role": "system", "content": rng.choice([[], "be careful", [{"type": "text", "text": "ok"}]])},
    ]
    k = 0
    for _ in range(start):
        messages += _turn(rng, k, names)
        k += 1
    trailing, thinking = True, "adaptive"
    old = conversations.MIN_BYTES
    conversations.MIN_BYTES = 0  # small bodies through the memory too
    try:
        incremental(_body(messages, trailing, thinking), provider=provider)
        for op in ops:
            raw = None
            if op == "append":
                for _ in range(rng.choice([1, 1, 2])):
                    messages += _turn(rng, k, names)
                    k += 1
            elif op == "defect":
                _defect(rng, messages)
            elif op == "shed":
                _shed(messages)
            elif op == "drop_last" and len(messages) > 2:
                messages.pop()
            elif op == "toggle_system":
                trailing = not trailing
            elif op == "thinking":
                thinking = rng.choice(["adaptive", "enabled", "disabled"])
            raw = _body(messages, trailing, thinking)
            if op == "byte":
                pos = rng.randrange(len(raw))
                raw = raw[:pos] + bytes([rng.choice(b'Qa0 ",:{}[]')]) + raw[pos + 1 :]
            incremental(raw, provider=provider)
    finally:
        conversations.MIN_BYTES = old


def test_new_conversations_are_noted_apart_and_evict_no_checkpoint() -> None:
    """Many one-request conversations (each a key noted, nothing saved) between two requests of a long one:
    its checkpoint survives them, and its next request resumes."""
    first, second, third = _session_pair()
    analyze(first)
    analyze(second)
    cp = next(iter(conversations.MEMORY._entries.values()))
    for k in range(conversations.MEMORY.max_entries + 50):
        analyze(first.replace(b'"role":"user"', b'"role":"user","x":%d' % k, 1))  # another first KB
    assert next(iter(conversations.MEMORY._entries.values())) is cp
    assert len(conversations.MEMORY) == 1
    assert len(conversations.MEMORY.seen) == conversations.MEMORY.max_entries + 50  # (not its own key)
    resumed = conversations.MEMORY.resumed
    incremental(third)
    assert conversations.MEMORY.resumed == resumed + 1


def test_the_seen_keys_are_bounded_in_entries_and_bytes() -> None:
    seen = conversations.SeenKeys(max_entries=100, max_bytes=1_000_000)
    for k in range(1000):
        seen.add(k)
        assert len(seen) <= 100
    assert 999 in seen and 0 not in seen  # the oldest out first
    small = conversations.SeenKeys(max_entries=4096, max_bytes=10 * conversations._SEEN_ENTRY_BYTES)
    for k in range(50):
        small.add(k)
        assert len(small) <= 10
    none = conversations.SeenKeys(max_entries=0)
    none.add(1)
    assert len(none) == 0 and 1 not in none
    default = conversations.SeenKeys()
    assert default.max_entries == 4096 and default.max_entries * conversations._SEEN_ENTRY_BYTES <= 1 << 20


def test_a_match_remembered_for_one_bytes_object_is_never_lent_to_other_bytes() -> None:
    from claude_otel.core.walk import WalkState

    old = b'{"messages":[{"role":"user","content":"a"},{"role":"user","content":"b"}],"model":"m"}'
    prefix = old.index(b',{"role":"user","content":"b"}') + 1
    cp = conversations.Checkpoint(old, 1, WalkState(), None, prefix, b'],"model":"m"}')
    body = old[:prefix] + b'{"role":"user","content":"c"}],"model":"m"}'
    assert conversations.matches(cp, body) and conversations.matches(cp, body)  # the second: remembered
    for i in range(prefix):  # the same length, one byte changed in the prefix: compared, not remembered
        changed = body[:i] + bytes([body[i] ^ 1]) + body[i + 1 :]
        assert not conversations.matches(cp, changed), i
    assert conversations.matches(cp, bytes(bytearray(body)))  # equal bytes, another object: compared
