"""The message array Claude Code sends when it resumes a session, rebuilt from its transcript.

The rules, from running the real CLI (``claude --resume <id> -p ...``) against the mock with damaged
transcripts and recording what it sent (see ../shared/reference/claude-code-transcripts.md):

1. **Entries.** The conversation is the tree of ``user`` / ``assistant`` / ``attachment`` / ``system``
   entries linked by ``uuid`` → ``parentUuid``. An entry repeated with the same ``uuid`` counts once (the
   first one). Sidechain entries (``isSidechain``: subagent turns) are not part of the main conversation.
2. **The chain.** The leaf is the last ``user`` / ``assistant`` entry of the file (not a sidechain, unless
   the file holds only sidechain entries: a subagent's transcript, rebuilt the same way); the
   conversation is the ``parentUuid`` chain from the leaf up to the root, in that order reversed. File
   order does not matter (except for a missing parent, rule 6).
3. **What is sent.** ``user`` and ``assistant`` entries carry API messages; ``attachment`` and ``system``
   entries are links in the chain (their rendered text is injected by the CLI as extra text and
   ``role: system`` messages, which the rebuild leaves out: they never carry tool blocks). Assistant
   entries with ``isApiErrorMessage`` (the CLI's record of a failed request) are not sent.
4. **Merging.** One content block per assistant entry: consecutive assistant entries with the same
   ``message.id`` are one API message (blocks in chain order; a tool_use repeated under one ``message.id``
   is collapsed); another ``message.id`` starts another message. Consecutive user entries are one user
   message.
5. **Sibling tool results.** The result of each parallel ``tool_use`` may be written as the child of that
   ``tool_use`` entry, off the chain: every ``user`` entry holding ``tool_result`` blocks whose parent is
   one of the entries of an assistant message joins the user message right after that assistant message
   (a new one if the next message is an assistant one), in file order, before the chain's own entry.
6. **Repairs Claude Code applies by itself** (never reach the API, so the doctor reports them as
   information, not as breakage):
   - an unanswered ``tool_use`` at the end of the chain (interrupted run, truncated file): 2.1.332 answers
     it with a synthetic ``is_error`` result ("[Tool call interrupted ...]") in a new user message, then
     an assistant "No response requested."; 2.1.197 drops the call instead (the version is the last
     ``version`` of the transcript unless told; versions in between were not observed);
   - an unanswered ``tool_use`` followed by more conversation: the call is dropped (a message left
     empty goes too);
   - a chain ending on a user message: an assistant "No response requested." before the new prompt;
   - a parent missing from the file: the chain goes on from the conversation entry just before the
     orphaned one in the file;
   - a ``tool_result`` naming no ``tool_use`` of the preceding assistant message: dropped;
   - a second result for the same ``tool_use`` id: dropped;
   - a ``tool_use`` id already used by an earlier assistant message: that block (and its result) dropped.

   Checked against the requests the CLI sends (2.1.332 and 2.1.197) in
   ``tests/doctor/test_rebuild_vs_claude_code.py``.
7. **Not repaired**: a text (or image, document) block before the ``tool_result`` blocks of the user
   message answering a tool call. Every resume sends it and gets the 400 "tool use concurrency issues".

The request analysed is ``{model, max_tokens, thinking (from the last api-request entry), messages, tools}``
with ``tools`` declared from the tool names the conversation uses (the transcript does not always hold the
tool definitions), and a placeholder user prompt at the end stands for the one the resume will send.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .reader import Entry, Transcript, ident

INTERRUPTED_TEXT = "[Tool call interrupted: the session ended before this call's result was recorded.]"
RESUME_PROMPT = "<the prompt given to claude --resume>"
NO_RESPONSE = "No response requested."
SYNTHETIC_RESULTS_SINCE = (2, 1, 332)
DEFAULT_MODEL = "claude-sonnet-4-5"
DEFAULT_MAX_TOKENS = 32000


@dataclass(frozen=True, slots=True)
class Note:
    """A repair Claude Code applies by itself when it rebuilds, or a remark on the chain: information."""

    kind: str  # interrupted_tool_call | orphan_result_dropped | duplicate_result_dropped |
    # reused_tool_use_dropped | unanswered_tool_use_dropped | duplicate_entry_collapsed | chain_relinked
    line: int | None
    uuid: str | None
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "line": self.line, "uuid": self.uuid, "detail": self.detail}


@dataclass(slots=True)
class RMessage:
    """A rebuilt API message: its blocks and, for each, the entry it came from (None: added by Claude Code
    when it rebuilds)."""

    role: str
    blocks: list[Any] = field(default_factory=list)
    origins: list[Entry | None] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)  # every entry merged into it, chain order

    def add(self, block: Any, origin: Entry | None) -> None:
        self.blocks.append(block)
        self.origins.append(origin)

    def as_api(self) -> dict[str, Any]:
        return {"role": self.role, "content": self.blocks}


@dataclass(slots=True)
class Rebuilt:
    messages: list[RMessage]
    chain: list[Entry]
    notes: list[Note]
    placeholder_prompt: bool = False

    def request(self, params: dict[str, Any] | None) -> dict[str, Any]:
        """The request body the analysis reads (see module doc)."""
        params = params or {}
        model = params.get("model")
        if not isinstance(model, str):
            model = _last_model(self.messages) or DEFAULT_MODEL
        max_tokens = params.get("max_tokens")
        body: dict[str, Any] = {
            "model": model,
            "max_tokens": max_tokens if isinstance(max_tokens, int) else DEFAULT_MAX_TOKENS,
            "messages": [m.as_api() for m in self.messages],
        }
        thinking = params.get("thinking")
        if isinstance(thinking, dict):
            body["thinking"] = thinking
        names = _tool_names(self.messages)
        if names:
            body["tools"] = [{"name": n, "input_schema": {"type": "object"}} for n in names]
        return body


def _last_model(messages: list[RMessage]) -> str | None:
    for m in reversed(messages):
        for origin in m.entries:
            model = (origin.message or {}).get("model")
            if isinstance(model, str) and model != "<synthetic>":
                return model
    return None


def _tool_names(messages: list[RMessage]) -> list[str]:
    names: dict[str, None] = {}
    for m in messages:
        if m.role != "assistant":
            continue
        for b in m.blocks:
            if isinstance(b, dict) and b.get("type") == "tool_use" and isinstance(b.get("name"), str):
                names[b["name"]] = None
    return list(names)


def _content(entry: Entry) -> list[Any]:
    content = (entry.message or {}).get("content")
    if isinstance(content, list):
        return content
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return []


def _has_result(entry: Entry) -> bool:
    return any(isinstance(b, dict) and b.get("type") == "tool_result" for b in _content(entry))


def _main(transcript: Transcript) -> bool:
    """Which entries make the conversation: the main chain (False: a subagent's file, all sidechain)."""
    return any(e.type in ("user", "assistant") and not e.sidechain for e in transcript.entries)


def chain_of(transcript: Transcript, notes: list[Note]) -> list[Entry]:
    """The conversation entries from the root to the leaf (rules 1 and 2)."""
    side = not _main(transcript)
    by_uuid: dict[str, Entry] = {}
    index: dict[str, int] = {}  # uuid -> position among the (main-chain) entries, file order
    ordered: list[Entry] = []
    leaf: Entry | None = None
    for e in transcript.entries:
        if e.uuid in by_uuid:
            notes.append(
                Note(
                    "duplicate_entry_collapsed", e.line, ident(e.uuid), "an entry repeated with the same uuid"
                )
            )
            continue
        by_uuid[e.uuid] = e
        if e.sidechain is not side:
            continue
        index[e.uuid] = len(ordered)
        ordered.append(e)
        if e.type in ("user", "assistant"):
            leaf = e
    chain: list[Entry] = []
    seen: set[str] = set()
    node = leaf
    while node is not None and node.uuid not in seen:
        seen.add(node.uuid)
        chain.append(node)
        if node.parent is None:
            break
        parent = by_uuid.get(node.parent)
        if parent is None:
            position = index.get(node.uuid, 0)
            parent = ordered[position - 1] if position > 0 else None
            notes.append(
                Note(
                    "chain_relinked",
                    node.line,
                    ident(node.uuid),
                    "its parent entry is not in the file: Claude Code continues from the entry before it"
                    + (f" in the file (line {parent.line})" if parent else "; history starts here"),
                )
            )
        node = parent
    chain.reverse()
    return chain


def rebuild(transcript: Transcript, claude_version: str | None = None) -> Rebuilt:
    """Rebuild the message array of a resume (see module doc). Pure; never raises on content.

    ``claude_version``: the Claude Code that will resume (default: the last one that wrote the transcript);
    it decides how calls interrupted at the end are answered (rule 6)."""
    notes: list[Note] = []
    chain = chain_of(transcript, notes)
    on_chain = {e.uuid for e in chain}
    side = not _main(transcript)
    result_children: dict[str, list[Entry]] = {}
    for e in transcript.entries:
        if (
            e.type == "user"
            and e.sidechain is side
            and e.parent
            and e.uuid not in on_chain
            and _has_result(e)
        ):
            on_chain.add(e.uuid)  # once, even when the entry is repeated
            result_children.setdefault(e.parent, []).append(e)
    messages: list[RMessage] = []
    seen_blocks: set[tuple[Any, ...]] = set()
    current_id: Any = None
    for e in chain:
        if e.type not in ("user", "assistant") or e.sidechain is not side or e.api_error:
            continue
        last = messages[-1] if messages else None
        if e.type == "assistant":
            mid = (e.message or {}).get("id")
            if last is None or last.role != "assistant" or mid is None or mid != current_id:
                if last is not None and last.role == "assistant":
                    siblings = RMessage("user")  # results answering the message before, off the chain
                    _add_siblings(last, siblings, result_children)
                    if siblings.blocks:
                        messages.append(siblings)
                last = RMessage("assistant")
                messages.append(last)
                seen_blocks = set()
            current_id = mid
            last.entries.append(e)
            for n, block in enumerate(_content(e)):
                key = _block_key(mid, n, e, block)
                if key is not None:
                    if key in seen_blocks:
                        notes.append(
                            Note(
                                "duplicate_entry_collapsed",
                                e.line,
                                ident(e.uuid),
                                "a block repeated under one message.id",
                            )
                        )
                        continue
                    seen_blocks.add(key)
                last.add(block, e)
        else:
            current_id = None
            if last is None or last.role != "user":
                last = RMessage("user")
                if messages and messages[-1].role == "assistant":
                    _add_siblings(messages[-1], last, result_children)
                messages.append(last)
            last.entries.append(e)
            for block in _content(e):
                last.add(block, e)
    if messages and messages[-1].role == "assistant":
        siblings = RMessage("user")
        _add_siblings(messages[-1], siblings, result_children)
        if siblings.blocks:
            messages.append(siblings)
    _claude_code_repairs(messages, notes, synthesizes_results(claude_version or transcript.version))
    if messages and messages[-1].role == "user":  # nothing answered the last user message
        messages.append(_no_response())
    if messages:  # the prompt given to the resume
        prompt = RMessage("user")
        prompt.add({"type": "text", "text": RESUME_PROMPT}, None)
        messages.append(prompt)
    return Rebuilt(messages, chain, notes, bool(messages))


def _no_response() -> RMessage:
    reply = RMessage("assistant")
    reply.add({"type": "text", "text": NO_RESPONSE}, None)
    return reply


def _block_key(mid: Any, n: int, e: Entry, block: Any) -> tuple[Any, ...] | None:
    if not isinstance(mid, str) or not isinstance(block, dict):
        return None
    if block.get("type") == "tool_use" and isinstance(block.get("id"), str):
        return (mid, "tool_use", block["id"])
    return None


def _add_siblings(assistant: RMessage, user: RMessage, result_children: dict[str, list[Entry]]) -> None:
    found: list[Entry] = []
    for e in assistant.entries:
        found.extend(result_children.get(e.uuid, ()))
    found.sort(key=lambda x: x.line)
    for e in found:
        user.entries.append(e)
        for block in _content(e):
            user.add(block, e)


def synthesizes_results(version: str | None) -> bool:
    """Whether this Claude Code answers calls interrupted at the end with synthetic results (2.1.332 does)
    or drops them (2.1.197 does). Versions in between were not observed: taken as the older behaviour.
    Unknown or unreadable: the newer."""
    if not version:
        return True
    try:
        parts = tuple(int(x) for x in version.split("+")[0].split("-")[0].split(".")[:3])
    except ValueError:
        return True
    return parts >= SYNTHETIC_RESULTS_SINCE


def _claude_code_repairs(messages: list[RMessage], notes: list[Note], synthetic: bool = True) -> None:
    """Rule 6, in place: what Claude Code fixes by itself before sending."""
    used: set[str] = set()
    i = 0
    while i < len(messages):
        m = messages[i]
        if m.role == "user":
            if i == 0 or messages[i - 1].role != "assistant":
                _drop_results(m, set(), notes)
            i += 1
            continue
        reused: set[str] = set()
        uses: list[str] = []
        drop: set[int] = set()  # positions of the tool_use blocks Claude Code leaves out
        for n, (block, origin) in enumerate(zip(m.blocks, m.origins, strict=True)):
            if (
                isinstance(block, dict)
                and block.get("type") == "tool_use"
                and isinstance(block.get("id"), str)
            ):
                tid = block["id"]
                if tid in used:
                    reused.add(tid)
                    drop.add(n)
                    notes.append(
                        Note(
                            "reused_tool_use_dropped",
                            origin.line if origin else None,
                            ident(origin.uuid) if origin else None,
                            f"tool_use id {ident(tid)} reused from an earlier turn: dropped with its result",
                        )
                    )
                    continue
                used.add(tid)
                uses.append(tid)
        nxt = messages[i + 1] if i + 1 < len(messages) else None
        answered = (
            _drop_results(nxt, set(uses), notes, reused) if nxt is not None and nxt.role == "user" else set()
        )
        missing = [t for t in uses if t not in answered]
        if nxt is None and missing:
            if synthetic:
                _interrupted(messages, m, missing, notes)
                break
            origin = next((o for o in reversed(m.origins) if o is not None), None)
            notes.append(
                Note(
                    "interrupted_tool_call",
                    origin.line if origin else None,
                    ident(origin.uuid) if origin else None,
                    f"{len(missing)} tool call(s) at the end without a recorded result: this Claude Code"
                    " drops them when it resumes",
                )
            )
            missing_ids = set(missing)
            _drop_tool_uses(m, drop, set(), notes)
            keep = [
                (b, o)
                for b, o in zip(m.blocks, m.origins, strict=True)
                if not (isinstance(b, dict) and b.get("type") == "tool_use" and b.get("id") in missing_ids)
            ]
            m.blocks, m.origins = [b for b, _ in keep], [o for _, o in keep]
            if not m.blocks:
                del messages[i]
            break
        _drop_tool_uses(m, drop, set(missing), notes)
        if not m.blocks:  # nothing left of the assistant message: its neighbours become one user message
            del messages[i]
            if 0 < i < len(messages) and messages[i - 1].role == messages[i].role == "user":
                prev, cur = messages[i - 1], messages.pop(i)
                prev.blocks += cur.blocks
                prev.origins += cur.origins
                prev.entries += cur.entries
            continue
        i += 1


def _interrupted(messages: list[RMessage], m: RMessage, missing: list[str], notes: list[Note]) -> None:
    """The last assistant message has unanswered calls: synthetic is_error results, then an assistant
    'No response requested.' (what a resume sends after an interrupted run)."""
    results = RMessage("user")
    for t in missing:
        results.add(
            {"type": "tool_result", "tool_use_id": t, "is_error": True, "content": INTERRUPTED_TEXT}, None
        )
    messages.append(results)
    origin = next((o for o in reversed(m.origins) if o is not None), None)
    notes.append(
        Note(
            "interrupted_tool_call",
            origin.line if origin else None,
            ident(origin.uuid) if origin else None,
            f"{len(missing)} tool call(s) at the end without a recorded result: Claude Code answers them with"
            " a synthetic is_error result ([Tool call interrupted ...]) when it resumes",
        )
    )


def _drop_tool_uses(m: RMessage, drop: set[int], unanswered: set[str], notes: list[Note]) -> None:
    """Leave out the blocks at ``drop`` (reused ids) and the tool_use blocks answering ``unanswered``."""
    if not drop and not unanswered:
        return
    keep_b: list[Any] = []
    keep_o: list[Entry | None] = []
    for n, (block, origin) in enumerate(zip(m.blocks, m.origins, strict=True)):
        if n in drop:
            continue
        if isinstance(block, dict) and block.get("type") == "tool_use" and block.get("id") in unanswered:
            notes.append(
                Note(
                    "unanswered_tool_use_dropped",
                    origin.line if origin else None,
                    ident(origin.uuid) if origin else None,
                    f"tool_use {ident(block.get('id'))} has no result and the conversation goes on:"
                    " Claude Code drops the call",
                )
            )
            continue
        keep_b.append(block)
        keep_o.append(origin)
    m.blocks, m.origins = keep_b, keep_o


def _drop_results(
    m: RMessage, expected: set[str], notes: list[Note], reused: set[str] = frozenset()
) -> set[str]:  # type: ignore[assignment]
    answered: set[str] = set()
    keep_b: list[Any] = []
    keep_o: list[Entry | None] = []
    for block, origin in zip(m.blocks, m.origins, strict=True):
        if isinstance(block, dict) and block.get("type") == "tool_result":
            tid = block.get("tool_use_id")
            where = (origin.line if origin else None, ident(origin.uuid) if origin else None)
            if tid in reused:
                continue
            if tid not in expected:
                notes.append(
                    Note(
                        "orphan_result_dropped",
                        *where,
                        f"tool_result {ident(tid)} answers no call of the turn before",
                    )
                )
                continue
            if tid in answered:
                notes.append(
                    Note("duplicate_result_dropped", *where, f"a second tool_result for {ident(tid)}")
                )
                continue
            answered.add(tid)
        keep_b.append(block)
        keep_o.append(origin)
    m.blocks, m.origins = keep_b, keep_o
    return answered
