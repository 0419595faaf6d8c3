"""The single pass over a request's messages, in its two forms.

`walk_messages` visits every message and content block of a parsed body (dicts) once. It fills the Shape
counters, emits the findings that need only one block (field presence, id patterns, empty text, media
sizes, placement), and summarises each merged turn (consecutive same-role messages, as the API merges
them) into a `Turn` record that the sequence and pairing checks read. `walk_decoded` does the same over
the fast path's structs (schema.py) for bodies that need none of those findings, and hands the body back
(None) at the first block that might. Nothing else in the core iterates blocks. No text, input, output or
base64 is copied: only lengths, ids, names and types.
"""

from __future__ import annotations

import re
from typing import Any, Final

from ._caches import GOOD_ID_MAX_LEN as _GOOD_ID_MAX_LEN
from ._caches import GOOD_IDS as _GOOD_IDS  # shared with the compiled copy (see _native.py)
from ._caches import GOOD_IDS_MAX as _GOOD_IDS_MAX
from .findings import Collector, safe_name
from .schema import (  # (msgspec's UNSET through schema: the compiled copy is type-checked without msgspec)
    BLOCK_TYPES,
    UNSET,
    DocumentBlock,
    ImageBlock,
    Message,
    NestedText,
    NestedToolReference,
    RedactedThinkingBlock,
    SearchResultBlock,
    TextBlock,
    ThinkingBlock,
    ToolResultBlock,
    ToolUseBlock,
    astuple,
)
from .types import Shape

TOOL_ID_RE = re.compile(r"[a-zA-Z0-9_-]+")
_ID_FULLMATCH: Final = TOOL_ID_RE.fullmatch
# walk_decoded's classes and constants as Final names: mypyc keeps those in C statics (a plain module
# global is a dict lookup on every call)
_TEXT: Final = TextBlock
_RESULT: Final = ToolResultBlock
_USE: Final = ToolUseBlock
_IMAGE: Final = ImageBlock
_THINKING: Final = ThinkingBlock
_REDACTED: Final = RedactedThinkingBlock
_DOCUMENT: Final = DocumentBlock
_SEARCH: Final = SearchResultBlock
_NESTED_TEXT: Final = NestedText
_NESTED_REF: Final = NestedToolReference
_UNSET: Final = UNSET
_BLOCK_TYPES: Final = BLOCK_TYPES
_GOOD: Final = _GOOD_IDS
_ASTUPLE: Final = astuple
# the order walk_decoded reads the structs' fields in, from msgspec.structs.astuple (one call for all the
# fields: a generic attribute read each costs about as much). Checked here: a schema change fails the import
_MESSAGE_FIELDS: Final = ("role", "content")
_TEXT_FIELDS: Final = ("text", "cache_control")
_RESULT_FIELDS: Final = ("tool_use_id", "content", "is_error", "cache_control")
_USE_FIELDS: Final = ("id", "name", "input", "cache_control", "caller", "toolset_name")
assert Message.__struct_fields__ == _MESSAGE_FIELDS, Message.__struct_fields__
assert TextBlock.__struct_fields__ == _TEXT_FIELDS, TextBlock.__struct_fields__
assert ToolResultBlock.__struct_fields__ == _RESULT_FIELDS, ToolResultBlock.__struct_fields__
assert ToolUseBlock.__struct_fields__[:6] == _USE_FIELDS, ToolUseBlock.__struct_fields__
SERVER_ID_RE = re.compile(r"srvtoolu_[a-zA-Z0-9_]+")

IMAGE_MAX_BYTES = 5 * 1024 * 1024  # 5,242,880

SERVER_TOOL_NAMES = frozenset(
    {
        "web_search",
        "web_fetch",
        "code_execution",
        "bash_code_execution",
        "text_editor_code_execution",
        "tool_search_tool_regex",
        "tool_search_tool_bm25",
        "advisor",
    }
)
# server result block types (assistant-side) whose tool_use_id must name a srvtoolu_ server_tool_use
SERVER_RESULT_TYPES = frozenset(
    {
        "web_search_tool_result",
        "web_fetch_tool_result",
        "code_execution_tool_result",
        "bash_code_execution_tool_result",
        "text_editor_code_execution_tool_result",
        "tool_search_tool_result",
        "advisor_tool_result",
    }
)
KNOWN_BLOCK_TYPES = frozenset(
    {
        "text",
        "image",
        "document",
        "search_result",
        "thinking",
        "redacted_thinking",
        "tool_use",
        "tool_result",
        "server_tool_use",
        "container_upload",
        "tool_reference",
        "browser_state",
        "mcp_tool_use",
        "mcp_tool_result",
        "mcp_tool_listing",
        "compaction",
        "fallback",
        "tool_addition",
        "tool_removal",
        *SERVER_RESULT_TYPES,
    }
)
THINKING_TYPES = ("thinking", "redacted_thinking")
# blocks that make a tool set change mid-conversation (the core cannot know the tools in effect)
TOOL_CHANGE_TYPES = frozenset({"compaction", "tool_addition", "tool_removal", "mcp_tool_listing"})


class Turn:
    """One merged turn: consecutive messages of one role (system messages are separate turns).

    A plain class with class-level defaults and no __init__: the walk creates one with `Turn()` and sets
    `role` and `msgs`, then only what it meets (a Python __init__ call costs 3x the object).
    """

    role: str
    msgs: list[int]
    tool_uses: list[tuple[Any, int, int, Any, bool]] | None = None  # (id, msg, block, name, code-exec)
    results: list[tuple[Any, int, int]] | None = None  # (tool_use_id, msg, block)
    result_msgs: int = 0
    other_before_result: tuple[int, int] | None = None  # first non-result block of a user turn
    text_after_tool_use: tuple[int, int] | None = None
    server_unresolved: dict[Any, tuple[int, int]] | None = None
    has_thinking: bool = False
    has_fallback: bool = False
    first_block_type: Any = None  # type of the first block of the first non-empty message
    last_block: Any = None  # the last block of the turn (a dict, or a str for string content)
    non_result_blocks: int = 0


class WalkResult:
    __slots__ = (
        "complete",
        "has_tool_blocks",
        "history_tool_names",
        "saved",
        "server_names",
        "tool_changes",
        "tool_refs",
        "turns",
    )

    def __init__(self) -> None:
        self.turns: list[Turn] = []  # every turn, or when not `complete` the last two (see walk_decoded)
        self.complete = True
        self.tool_refs: list[tuple[Any, str]] = []  # (tool_name, path)
        self.server_names: set[Any] = set()
        # client tool_use (name, msg, block): every one (walk_messages), or the first of each name
        self.history_tool_names: list[tuple[Any, int, int]] = []
        self.has_tool_blocks = False
        self.tool_changes = False
        self.saved: WalkState | None = None  # walk_decoded's state at `save_at`, when asked and reached


def _new_turn(turns: list[Turn], role: str, i: int) -> Turn:
    """A turn opened by messages.i (both walks)."""
    turn = Turn()
    turn.role = role
    turn.msgs = [i]
    turns.append(turn)
    return turn


def _string_content(turn: Turn, s: str, i: int, is_user: bool) -> None:
    """messages.i has string content: one text block in the turn's record (both walks)."""
    if turn.first_block_type is None:
        turn.first_block_type = "text"
    turn.last_block = s
    if turn.tool_uses and turn.text_after_tool_use is None:
        turn.text_after_tool_use = (i, 0)
    if is_user and turn.other_before_result is None:
        turn.other_before_result = (i, 0)


def _count(counts: dict[str, int], t: Any) -> None:
    if t.__class__ is not str or t not in KNOWN_BLOCK_TYPES:
        t = "other"
    counts[t] = counts.get(t, 0) + 1


def _image_check(b: dict[str, Any], path: str, shape: Shape, out: Collector) -> None:
    """H: the API compares the length of the base64 string (not the decoded size) with 5 MB."""
    src = b.get("source")
    if src.__class__ is dict and src.get("type") == "base64":
        data = src.get("data")
        if data.__class__ is str and len(data) > IMAGE_MAX_BYTES:
            out.add(
                "image_too_large",
                f"{path}.image.source.base64",
                f"image base64 is {len(data)} bytes > {IMAGE_MAX_BYTES} bytes",
            )


def _nested(content: list[Any], i: int, j: int, shape: Shape, res: WalkResult, out: Collector) -> int:
    """Blocks inside messages.i.content.j (a tool_result) content; returns the cache_control count."""
    counts = shape.block_counts
    cc = 0
    k = -1
    for item in content:
        k += 1
        if item.__class__ is not dict:
            continue
        nb: dict[str, Any] = item
        t = nb.get("type")
        if t == "text":
            counts["text"] = counts.get("text", 0) + 1
        else:
            _count(counts, t)
            if t == "tool_reference":
                shape.tool_reference_count += 1
                tn = nb.get("tool_name")
                res.tool_refs.append(
                    (tn if tn.__class__ is str else None, f"messages.{i}.content.{j}.content.{k}")
                )
            elif t == "image":
                shape.image_count += 1
                _image_check(nb, f"messages.{i}.content.{j}.content.{k}", shape, out)
            elif t == "document":
                shape.document_count += 1
        if "cache_control" in nb and nb["cache_control"]:  # noqa: RUF019 (faster than .get)
            cc += 1
    return cc


def walk_messages(messages: list[Any], shape: Shape, out: Collector) -> WalkResult:
    res = WalkResult()
    turns = res.turns
    counts = shape.block_counts
    seen_tool_ids: set[str] = set()
    last_idx = len(messages) - 1
    turn: Turn | None = None
    cc = 0
    id_match = TOOL_ID_RE.fullmatch
    good_ids: set[str] = _GOOD_IDS
    if len(good_ids) > _GOOD_IDS_MAX:
        good_ids.clear()
    good_add = good_ids.add
    hist_append = res.history_tool_names.append
    has_tool_blocks = False
    srv_match = SERVER_ID_RE.fullmatch
    known = KNOWN_BLOCK_TYPES
    n_text = n_tool_use = n_tool_result = n_thinking = n_redacted = 0
    n_user = n_asst = n_sys = n_other = 0
    prev_role = None

    for i, item in enumerate(messages):
        if item.__class__ is not dict:
            out.add("role_invalid", f"messages.{i}", f"messages.{i} is not an object")
            n_other += 1
            turn = prev_role = None
            continue
        m: dict[str, Any] = item  # an exact dict (checked above): typed for mypyc
        role = m.get("role")
        if role == "assistant":
            n_asst += 1
            is_asst, is_user = True, False
        elif role == "user":
            n_user += 1
            is_asst, is_user = False, True
        elif role == "system":
            n_sys += 1
            is_asst = is_user = False
        else:
            n_other += 1
            out.add("role_invalid", f"messages.{i}.role", f"messages.{i} has role {safe_name(role)}")
            turn = prev_role = None
            continue
        if role == prev_role and role != "system" and turn is not None:  # merged turn
            turn.msgs.append(i)
            track_a2 = is_user and turn.other_before_result is None  # first non-result block of a user turn
            track_a3 = (
                turn.tool_uses is not None and turn.text_after_tool_use is None
            )  # non-tool after tool_use
        else:
            turn = _new_turn(turns, role, i)
            prev_role = role
            track_a2 = is_user
            track_a3 = False

        content: Any = m.get("content")
        if content.__class__ is not list:
            if content.__class__ is str:
                turn.non_result_blocks += 1
                n_text += 1
                if not content:
                    # an empty system message is accepted (Claude Code --bare sends one on every session)
                    if not (is_asst and i == last_idx) and role != "system":
                        out.add(
                            "message_content_empty",
                            f"messages.{i}",
                            f"messages.{i} ({role}) has empty string content",
                        )
                elif content.isspace() and not (is_asst and i == last_idx):
                    out.add(
                        "text_block_empty",
                        f"messages.{i}",
                        f"messages.{i} ({role}) content is whitespace only",
                    )
                _string_content(turn, content, i, is_user)
                continue
            if "content" not in m:
                out.add("field_required", f"messages.{i}.content", f"messages.{i} has no content field")
            else:
                out.add(
                    "field_required",
                    f"messages.{i}.content",
                    f"messages.{i}.content is a {type(content).__name__}, not a string or a list of blocks",
                )
            continue
        if not content:
            if not (is_asst and i == last_idx) and role != "system":
                out.add(
                    "message_content_empty",
                    f"messages.{i}",
                    f"messages.{i} ({role}) has an empty content list",
                )
            continue

        blocks: list[Any] = content
        msg_results = 0
        for j, block in enumerate(blocks):
            if block.__class__ is not dict:
                continue
            b: dict[str, Any] = block
            t = b.get("type")
            if "cache_control" in b and b["cache_control"]:  # noqa: RUF019 (faster than .get)
                cc += 1
                if t == "thinking" or t == "redacted_thinking":
                    out.add(
                        "cache_control_on_thinking",
                        f"messages.{i}.content.{j}.{t}.cache_control",
                        f"{t} block carries cache_control",
                    )

            if t == "text":
                n_text += 1
                txt = b.get("text")
                if txt.__class__ is not str or not txt or txt.isspace():
                    if txt.__class__ is str:
                        out.add(
                            "text_block_empty",
                            f"messages.{i}.content.{j}",
                            "text block is " + ("empty" if not txt else "whitespace only"),
                        )
                    elif "text" not in b:
                        out.add(
                            "field_required",
                            f"messages.{i}.content.{j}.text.text",
                            "text block has no text field",
                        )
                if track_a3 or track_a2:
                    if track_a3:
                        turn.text_after_tool_use = (i, j)
                        track_a3 = False
                    if track_a2:
                        turn.other_before_result = (i, j)
                        track_a2 = False
            elif t == "tool_result":
                has_tool_blocks = True
                n_tool_result += 1
                tuid = b.get("tool_use_id")
                if tuid.__class__ is not str:
                    tuid = None
                if not is_user:
                    out.add(
                        "tool_result_in_assistant",
                        f"messages.{i}",
                        f"tool_result {safe_name(tuid)} sits in a {role} message, not a user message",
                    )
                if tuid in good_ids:
                    pass
                elif tuid is not None and id_match(tuid):
                    if len(tuid) <= _GOOD_ID_MAX_LEN:  # bounded in bytes: long ids are not remembered
                        good_add(tuid)
                else:
                    path = f"messages.{i}.content.{j}"
                    if "tool_use_id" not in b:
                        out.add(
                            "tool_result_field_missing",
                            f"{path}.tool_result.tool_use_id",
                            "tool_result lacks tool_use_id",
                        )
                    else:
                        out.add(
                            "tool_use_id_pattern",
                            f"{path}.tool_result.tool_use_id",
                            f"tool_result tool_use_id {safe_name(b.get('tool_use_id'))}"
                            " does not match ^[a-zA-Z0-9_-]+$",
                        )
                rc = b.get("content")
                if rc.__class__ is list:
                    if len(rc) == 1 and (nb := rc[0]).__class__ is dict and nb.get("type") == "text":
                        n_text += 1  # the common case: one text block
                        if "cache_control" in nb and nb["cache_control"]:  # noqa: RUF019
                            cc += 1
                    elif rc:
                        cc += _nested(rc, i, j, shape, res, out)
                    elif b.get("is_error") is True:
                        out.add(
                            "tool_result_empty_error",
                            f"messages.{i}.content.{j}.tool_result",
                            f"tool_result {safe_name(tuid)} has is_error true and empty content",
                        )
                elif (rc is None or rc == "") and b.get("is_error") is True:
                    out.add(
                        "tool_result_empty_error",
                        f"messages.{i}.content.{j}.tool_result",
                        f"tool_result {safe_name(tuid)} has is_error true and empty content",
                    )
                msg_results += 1
                if is_user:
                    if msg_results == 1:
                        turn.result_msgs += 1
                    if turn.results is None:
                        turn.results = [(tuid, i, j)]
                    else:
                        turn.results.append((tuid, i, j))
            elif (  # the well-formed tool_use: exactly type/id/name/input, a known-valid new id
                t == "tool_use"
                and is_asst
                and len(b) == 4
                and (tid := b.get("id")).__class__ is str
                and tid in good_ids
                and tid not in seen_tool_ids
                and (name := b.get("name")).__class__ is str
                and b.get("input").__class__ is dict
            ):
                has_tool_blocks = True
                n_tool_use += 1
                seen_tool_ids.add(tid)
                hist_append((name, i, j))
                if turn.tool_uses is None:
                    turn.tool_uses = [(tid, i, j, name, False)]
                else:
                    turn.tool_uses.append((tid, i, j, name, False))
                track_a3 = turn.text_after_tool_use is None
            elif t == "tool_use":
                has_tool_blocks = True
                n_tool_use += 1
                tid = b.get("id")
                if tid.__class__ is not str:
                    tid = None
                name = b.get("name")
                if name.__class__ is not str:
                    name = None
                inp = b.get("input")
                if not is_asst:
                    out.add(
                        "tool_use_in_user",
                        f"messages.{i}.content.{j}",
                        f"tool_use {safe_name(tid)} sits in a {role} message, not an assistant message",
                    )
                if tid is None or name is None or inp is None:
                    missing = [f for f in ("id", "name", "input") if f not in b]
                    if missing:
                        out.add(
                            "tool_result_field_missing",
                            f"messages.{i}.content.{j}.tool_use.{missing[0]}",
                            f"tool_use lacks {', '.join(missing)}",
                        )
                if tid in good_ids:
                    if tid in seen_tool_ids:
                        out.add(
                            "tool_use_id_duplicate",
                            f"messages.{i}.content.{j}",
                            f"tool_use id {tid} appears more than once",
                        )
                    else:
                        seen_tool_ids.add(tid)
                elif "id" in b:
                    if tid is None or not id_match(tid):
                        out.add(
                            "tool_use_id_pattern",
                            f"messages.{i}.content.{j}.tool_use.id",
                            f"tool_use id {safe_name(b.get('id'))} does not match ^[a-zA-Z0-9_-]+$",
                        )
                    elif tid in seen_tool_ids:
                        out.add(
                            "tool_use_id_duplicate",
                            f"messages.{i}.content.{j}",
                            f"tool_use id {tid} appears more than once",
                        )
                    else:
                        if len(tid) <= _GOOD_ID_MAX_LEN:
                            good_add(tid)
                        seen_tool_ids.add(tid)
                if inp.__class__ is not dict and "input" in b and not isinstance(inp, dict):
                    out.add(
                        "tool_use_input_not_object",
                        f"messages.{i}.content.{j}.tool_use.input",
                        f"tool_use {safe_name(tid)} input is a {type(inp).__name__}",
                    )
                if len(b) > 4:  # type id name input + optional fields: look for streaming leftovers
                    for extra in ("index", "partial_json", "text"):
                        if extra in b:
                            out.add(
                                "block_extra_fields",
                                f"messages.{i}.content.{j}.tool_use.{extra}",
                                f"tool_use {safe_name(tid)} carries streaming field {extra}",
                            )
                            break
                    caller = b.get("caller")
                    ce = caller.__class__ is dict and str(caller.get("type")).startswith("code_execution")
                    toolset = "toolset_name" in b
                else:
                    ce = toolset = False
                if is_asst:
                    if not toolset:
                        hist_append((name, i, j))
                    if turn.tool_uses is None:
                        turn.tool_uses = [(tid, i, j, name, ce)]
                    else:
                        turn.tool_uses.append((tid, i, j, name, ce))
                    track_a3 = turn.text_after_tool_use is None
            elif t == "thinking" or t == "redacted_thinking":
                turn.has_thinking = True
                if t == "thinking":
                    n_thinking += 1
                    if b.get("thinking").__class__ is not str:
                        out.add(
                            "thinking_field_missing",
                            f"messages.{i}.content.{j}.thinking.thinking",
                            "thinking block lacks thinking",
                        )
                    if b.get("signature").__class__ is not str:
                        out.add(
                            "thinking_field_missing",
                            f"messages.{i}.content.{j}.thinking.signature",
                            "thinking block lacks signature",
                        )
                else:
                    n_redacted += 1
                    if b.get("data").__class__ is not str:
                        out.add(
                            "thinking_field_missing",
                            f"messages.{i}.content.{j}.redacted_thinking.data",
                            "redacted_thinking lacks data",
                        )
                if is_user:
                    out.add(
                        "thinking_block_in_user",
                        f"messages.{i}.content.{j}",
                        f"{t} block sits in a user message",
                    )
            elif t == "server_tool_use":
                shape.server_tool_use_count += 1
                counts[t] = counts.get(t, 0) + 1
                sid = b.get("id")
                path = f"messages.{i}.content.{j}"
                if not isinstance(sid, str) or not srv_match(sid):
                    out.add(
                        "server_tool_id_pattern",
                        f"{path}.server_tool_use.id",
                        f"server_tool_use id {safe_name(sid)} does not match ^srvtoolu_[a-zA-Z0-9_]+$",
                    )
                name = b.get("name")
                res.server_names.add(name if isinstance(name, str) else None)
                if name.__class__ is not str or name not in SERVER_TOOL_NAMES:
                    out.add(
                        "server_tool_name_invalid",
                        f"{path}.server_tool_use.name",
                        f"server tool {safe_name(name)}",
                    )
                if is_asst:
                    if turn.server_unresolved is None:
                        turn.server_unresolved = {}
                    turn.server_unresolved[sid if isinstance(sid, str) else id(b)] = (i, j)
            elif t.__class__ is str and t in SERVER_RESULT_TYPES:
                shape.server_tool_result_count += 1
                counts[t] = counts.get(t, 0) + 1
                tuid = b.get("tool_use_id")
                path = f"messages.{i}.content.{j}"
                id_ok = isinstance(tuid, str) and srv_match(tuid) is not None
                if not id_ok:
                    out.add(
                        "server_tool_id_pattern",
                        f"{path}.{t}.tool_use_id",
                        f"{t} tool_use_id {safe_name(tuid)} does not match ^srvtoolu_[a-zA-Z0-9_]+$",
                    )
                if is_asst:
                    pending = turn.server_unresolved
                    popped = pending.pop(tuid, None) if pending and isinstance(tuid, str) else None
                    if popped is None and id_ok:
                        out.add(
                            "server_tool_result_orphan",
                            path,
                            f"{t} {tuid} has no server_tool_use before it in this assistant turn",
                        )
                if t == "tool_search_tool_result":
                    inner = b.get("content")
                    refs = inner.get("tool_references") if isinstance(inner, dict) else None
                    if isinstance(refs, list):
                        for k, r in enumerate(refs):
                            if isinstance(r, dict):
                                shape.tool_reference_count += 1
                                tn = r.get("tool_name")
                                res.tool_refs.append(
                                    (
                                        tn if isinstance(tn, str) else None,
                                        f"{path}.content.tool_references.{k}",
                                    )
                                )
            else:
                if t.__class__ is not str or t not in known:
                    counts["other"] = counts.get("other", 0) + 1
                    t = None
                else:
                    counts[t] = counts.get(t, 0) + 1
                if t == "image":
                    shape.image_count += 1
                    _image_check(b, f"messages.{i}.content.{j}", shape, out)
                elif t == "document":
                    shape.document_count += 1
                elif t == "fallback":
                    turn.has_fallback = True
                elif t in TOOL_CHANGE_TYPES:
                    res.tool_changes = True
                if track_a2:
                    turn.other_before_result = (i, j)
                    track_a2 = False
                if track_a3 and (t == "image" or t == "document"):
                    turn.text_after_tool_use = (i, j)
                    track_a3 = False

        if is_user:
            turn.non_result_blocks += len(blocks) - msg_results
        elif is_asst:
            if turn.first_block_type is None:
                b0 = blocks[0]
                turn.first_block_type = b0.get("type") if b0.__class__ is dict else None
            turn.last_block = blocks[-1]

    _record(
        shape,
        res,
        n_user,
        n_asst,
        n_sys,
        n_other,
        n_text,
        n_tool_use,
        n_tool_result,
        n_thinking,
        n_redacted,
        0,  # (images, documents, search results and references: counted block by block above)
        0,
        0,
        0,
        has_tool_blocks,
        cc,
    )
    return res


def _record(
    shape: Shape,
    res: WalkResult,
    n_user: int,
    n_asst: int,
    n_sys: int,
    n_other: int,
    n_text: int,
    n_tool_use: int,
    n_tool_result: int,
    n_thinking: int,
    n_redacted: int,
    n_image: int,
    n_document: int,
    n_search: int,
    n_refs: int,
    has_tool_blocks: bool,
    cc: int,
) -> None:
    """Both walks end here: the counts they kept in locals go to the shape (added: walk_messages counts
    some blocks into block_counts as it goes). The dicts as typed locals: to mypyc a Shape field is a
    generic attribute, and its dict operations generic calls, unless the local says it is a dict."""
    by_role: dict[str, int] = shape.messages_by_role
    if n_user:
        by_role["user"] = n_user
    if n_asst:
        by_role["assistant"] = n_asst
    if n_sys:
        by_role["system"] = n_sys
    if n_other:
        by_role["other"] = n_other
    counts: dict[str, int] = shape.block_counts
    if n_text:
        counts["text"] = counts.get("text", 0) + n_text
    if n_tool_use:
        counts["tool_use"] = counts.get("tool_use", 0) + n_tool_use
        shape.tool_use_count += n_tool_use
    if n_tool_result:
        counts["tool_result"] = counts.get("tool_result", 0) + n_tool_result
        shape.tool_result_count += n_tool_result
    if n_thinking:
        counts["thinking"] = counts.get("thinking", 0) + n_thinking
    if n_redacted:
        counts["redacted_thinking"] = counts.get("redacted_thinking", 0) + n_redacted
    if n_thinking or n_redacted:
        shape.thinking_block_count += n_thinking + n_redacted
    if n_image:
        counts["image"] = counts.get("image", 0) + n_image
    if n_document:
        counts["document"] = counts.get("document", 0) + n_document
    if n_search:
        counts["search_result"] = counts.get("search_result", 0) + n_search
    if n_refs:
        counts["tool_reference"] = counts.get("tool_reference", 0) + n_refs
    if has_tool_blocks:
        res.has_tool_blocks = True
    if cc:
        shape.cache_control_count += cc


def _quiet(prev: Turn | None, cur: Turn) -> bool:
    """True when check_pairing and check_final_and_thinking have nothing to say about the finished turn
    `cur` and its pairing with the turn before it (walk_decoded's check as it goes; fast-path turns only:
    user and assistant, no server tools, no unknown blocks)."""
    if cur.role == "assistant":
        if cur.text_after_tool_use is not None:
            return False  # tool_use_not_trailing
        return not cur.has_thinking or cur.first_block_type in THINKING_TYPES  # else thinking_not_first
    uses = prev.tool_uses if prev is not None else None
    results = cur.results
    if results is None:
        return not uses  # else tool_result_missing
    # the results answer exactly the previous calls, once each, in one message (the walk has checked that
    # none comes after another block); tool_use ids are unique in the request
    if not uses or cur.result_msgs != 1 or len(results) != len(uses):
        return False
    if len(uses) == 1:
        return results[0][0] == uses[0][0]
    return {r[0] for r in results} == {u[0] for u in uses}


class WalkState:
    """What walk_decoded (without records) had established at the start of messages.`at`: a function of
    messages[:at] alone, so a later request whose messages start with the same messages can resume from
    it (see core/conversations.py). Held objects are never changed once saved: a resumed walk copies the
    turns, and the tool ids are a chain of sets sealed at each save."""

    __slots__ = (
        "at",
        "counts",
        "first_i",
        "hist",
        "hist_names",
        "ids",
        "last_end",
        "prev_end",
        "prev_first",
        "prev_role",
        "prev_turn",
        "refs",
        "sys_tail",
        "turn",
    )

    def __init__(self) -> None:
        self.at = 0
        self.turn: Turn | None = None
        self.prev_turn: Turn | None = None
        self.sys_tail: list[Turn] = []
        self.first_i = self.prev_first = self.prev_end = self.last_end = 0
        self.prev_role: Any = None
        # n_text n_tool_use n_tool_result n_thinking n_redacted n_image n_document n_search n_refs
        # n_user n_asst n_sys cc has_tool_blocks
        self.counts: tuple[int, ...] = ()
        self.ids: tuple[set[str], ...] = ()  # every tool_use id before `at`, in sealed sets
        self.hist_names: frozenset[str] = frozenset()
        self.hist: tuple[tuple[Any, int, int], ...] = ()
        self.refs: tuple[tuple[Any, str], ...] = ()


_MAX_ID_SETS = 8  # a resumed walk looks an id up in each sealed set: merged beyond this many


def _copy_turn(t: Turn | None) -> Turn | None:
    """A copy of a saved turn that the walk may change (its lists copied too)."""
    if t is None:
        return None
    c = Turn()
    c.role = t.role
    c.msgs = list(t.msgs) if hasattr(t, "msgs") else []
    if t.tool_uses is not None:
        c.tool_uses = list(t.tool_uses)
    if t.results is not None:
        c.results = list(t.results)
    c.result_msgs = t.result_msgs
    c.other_before_result = t.other_before_result
    c.text_after_tool_use = t.text_after_tool_use
    c.has_thinking = t.has_thinking
    c.first_block_type = t.first_block_type
    c.last_block = t.last_block
    c.non_result_blocks = t.non_result_blocks
    return c


def walk_decoded(
    messages: list[Any],
    shape: Shape,
    every_merge: bool = False,
    records: bool = False,
    resume: WalkState | None = None,
    save_at: int = -1,
) -> WalkResult | None:
    """The walk of the fast path, over `schema.Message` structs: the same Shape counts and Turn records as
    `walk_messages` would make of the same body, or None (and the shape untouched) as soon as
    `walk_messages` could emit a finding or meets a case this walk leaves to it (system messages holding
    other than text, odd tool_use fields, an assistant message ending in thinking). The schema has already
    checked every type, so nothing here re-checks one; tests/core/test_decoded_path.py compares the paths.
    System messages (Claude Code sends them after a user message, often last) are turns of their own,
    transparent to the pairing; without records they are not kept, except those after the last user or
    assistant message, and one that check_roles would warn about (first, after an assistant message,
    before a user message) makes the walk start again with records.

    Unless `records` is set, the walk also checks each turn as it ends (`_quiet`: pairing with the turn
    before, tool_use last, thinking first, a first turn from the user) and keeps Turn records for the last
    two turns only, which is all the checks that read request-level settings need (container, prefill,
    thinking in the last tool turn). `res.complete` is then False: `check_pairing` and `check_roles` are
    skipped, having nothing to report, and the one shape field `check_pairing` would set is set here.
    At the first turn that is not quiet (or at a merged turn when `every_merge`: Bedrock reports
    each), the walk starts again with `records`: every turn recorded and checked as on the full path."""
    res = WalkResult()
    res.complete = records
    turns = res.turns
    prev_turn: Turn | None = None  # without records: the turn before `turn`
    first_i = prev_first = 0  # their first messages
    prev_end = last_end = 0  # one past their last messages (system messages may follow a turn)
    sys_tail: list[Turn] = []  # without records: the system messages since the last user/assistant one
    seen_tool_ids: set[str] = set()
    old_ids: tuple[set[str], ...] = ()  # sealed sets of the ids before the last save or the resume point
    turn: Turn | None = None
    id_match = _ID_FULLMATCH
    good_ids: set[str] = _GOOD
    if len(good_ids) > _GOOD_IDS_MAX:
        good_ids.clear()
    good_add = good_ids.add
    hist_append = res.history_tool_names.append
    hist_names: set[str] = set()
    has_tool_blocks = False
    cc = 0
    n_text = n_tool_use = n_tool_result = n_thinking = n_redacted = 0
    n_image = n_document = n_search = n_refs = 0
    n_user = n_asst = n_sys = 0
    prev_role: Any = None
    content: Any = None
    start = 0
    if resume is not None and not records:  # go on from a saved state: its objects are copied, not changed
        start = resume.at
        turn, prev_turn = _copy_turn(resume.turn), _copy_turn(resume.prev_turn)
        sys_tail = [t for t in map(_copy_turn, resume.sys_tail) if t is not None]
        first_i, prev_first, prev_end, last_end = (
            resume.first_i,
            resume.prev_first,
            resume.prev_end,
            resume.last_end,
        )
        prev_role = resume.prev_role
        (
            n_text,
            n_tool_use,
            n_tool_result,
            n_thinking,
            n_redacted,
            n_image,
            n_document,
            n_search,
            n_refs,
            n_user,
            n_asst,
            n_sys,
            cc,
            htb,
        ) = resume.counts
        has_tool_blocks = htb == 1
        old_ids = resume.ids
        hist_names = set(resume.hist_names)
        res.history_tool_names.extend(resume.hist)
        res.tool_refs.extend(resume.refs)
    # the classes and the sentinel as locals (from Final names: C statics to mypyc, no dict lookups)
    text_cls, result_cls, use_cls, image_cls = _TEXT, _RESULT, _USE, _IMAGE
    thinking_cls, redacted_cls, doc_cls, search_cls = _THINKING, _REDACTED, _DOCUMENT, _SEARCH
    ntext_cls, nref_cls = _NESTED_TEXT, _NESTED_REF
    unset = _UNSET
    image_max = IMAGE_MAX_BYTES
    block_types = _BLOCK_TYPES
    astuple = _ASTUPLE
    i = start - 1
    for m in messages[start:] if start else messages:
        i += 1
        if i == save_at and not records:  # what messages[:i] established, for the next request
            saved = WalkState()
            saved.at = i
            saved.turn, saved.prev_turn = _copy_turn(turn), _copy_turn(prev_turn)
            saved.sys_tail = [t for t in map(_copy_turn, sys_tail) if t is not None]
            saved.first_i, saved.prev_first, saved.prev_end, saved.last_end = (
                first_i,
                prev_first,
                prev_end,
                last_end,
            )
            saved.prev_role = prev_role
            saved.counts = (
                n_text,
                n_tool_use,
                n_tool_result,
                n_thinking,
                n_redacted,
                n_image,
                n_document,
                n_search,
                n_refs,
                n_user,
                n_asst,
                n_sys,
                cc,
                1 if has_tool_blocks else 0,
            )
            if seen_tool_ids:
                old_ids = (*old_ids, seen_tool_ids)  # sealed: the rest of this walk adds to a new set
                seen_tool_ids = set()
            if len(old_ids) > _MAX_ID_SETS:
                merged: set[str] = set()
                for id_set in old_ids:
                    merged |= id_set
                old_ids = (merged,)
            saved.ids = old_ids
            saved.hist_names = frozenset(hist_names)
            saved.hist = tuple(res.history_tool_names)
            saved.refs = tuple(res.tool_refs)
            res.saved = saved
        mf: tuple = astuple(m)  # role, content (_MESSAGE_FIELDS): one call, not two attribute reads
        role: str = mf[0]  # "user", "assistant" or "system" (the schema's Literal: interned strings)
        if role == "assistant":
            n_asst += 1
            is_asst, is_user = True, False
        elif role == "user":
            n_user += 1
            is_asst, is_user = False, True
        else:  # a system message (Claude Code sends them inside messages[]): a turn of its own, never merged
            n_sys += 1
            if not records and (i == 0 or prev_role == "assistant"):
                return walk_decoded(messages, shape, every_merge, True)  # check_roles has a word to say
            sys_turn = _new_turn(turns if records else sys_tail, role, i)
            prev_role = role
            content = mf[1]
            if type(content) is str:
                sys_text: str = content
                if sys_text and sys_text.isspace():
                    return None  # text_block_empty (an empty system message is accepted)
                sys_turn.non_result_blocks += 1
                n_text += 1
                _string_content(sys_turn, sys_text, i, False)
                continue
            for sb in content:  # text only (else check_roles warns: the full walk), each non-blank
                if type(sb) is not text_cls:
                    return None
                sys_text = sb.text
                if not sys_text or sys_text.isspace():
                    return None
                n_text += 1
                if sb.cache_control:
                    cc += 1
            continue
        if sys_tail:
            if is_user and not records:  # a system message followed by a user message: check_roles warns
                return walk_decoded(messages, shape, every_merge, True)
            sys_tail = []
        if role == prev_role and turn is not None:  # merged turn
            if records:
                turn.msgs.append(i)
            elif every_merge:
                return walk_decoded(messages, shape, every_merge, True)
            track_a2 = is_user and turn.other_before_result is None
            track_a3 = turn.tool_uses is not None and turn.text_after_tool_use is None
        else:
            if records:
                turn = _new_turn(turns, role, i)
            else:
                if turn is None:
                    if is_asst:  # first_message_not_user
                        return walk_decoded(messages, shape, every_merge, True)
                elif not _quiet(prev_turn, turn):
                    return walk_decoded(messages, shape, every_merge, True)
                prev_turn, prev_first, prev_end, first_i = turn, first_i, last_end, i
                turn = Turn()
                turn.role = role
            prev_role = role
            track_a2 = is_user
            track_a3 = False
        last_end = i + 1

        content = mf[1]
        if type(content) is str:
            s: str = content
            if not s or s.isspace():
                return None
            turn.non_result_blocks += 1
            n_text += 1
            _string_content(turn, s, i, is_user)
            continue
        blocks: list[Any] = content
        if not blocks:
            return None
        msg_results = 0
        j = -1
        for b in blocks:
            j += 1
            c = type(b)
            if c is text_cls:
                tf: tuple = astuple(b)  # text, cache_control (_TEXT_FIELDS)
                txt: str = tf[0]
                if not txt or txt.isspace():
                    return None
                n_text += 1
                if tf[1]:
                    cc += 1
                if track_a3 or track_a2:
                    if track_a3:
                        turn.text_after_tool_use = (i, j)
                        track_a3 = False
                    if track_a2:
                        turn.other_before_result = (i, j)
                        track_a2 = False
            elif c is result_cls:
                if not is_user:
                    return None
                if not records and turn.other_before_result is not None:
                    return walk_decoded(messages, shape, every_merge, True)  # maybe tool_result_not_first
                rf: tuple = astuple(b)  # tool_use_id, content, is_error, cache_control (_RESULT_FIELDS)
                tuid: str = rf[0]
                if tuid not in good_ids:
                    if id_match(tuid) is None:
                        return None
                    if len(tuid) <= _GOOD_ID_MAX_LEN:
                        good_add(tuid)
                has_tool_blocks = True
                n_tool_result += 1
                if rf[3]:
                    cc += 1
                rc: Any = rf[1]
                if type(rc) is list:
                    items: list[Any] = rc
                    if not items:
                        if b.is_error is True:
                            return None
                    elif len(items) == 1 and type(items[0]) is ntext_cls:
                        n_text += 1  # the common case: one text block
                        if items[0].cache_control:
                            cc += 1
                    else:
                        k = -1
                        for nb in items:
                            k += 1
                            nc = type(nb)
                            if nc is ntext_cls:
                                n_text += 1
                            elif nc is nref_cls:
                                n_refs += 1
                                tn = nb.tool_name
                                res.tool_refs.append(
                                    (tn if type(tn) is str else None, f"messages.{i}.content.{j}.content.{k}")
                                )
                            elif nc is image_cls:
                                src = nb.source
                                if src is not unset and len(src) > image_max:
                                    return None  # maybe too large: the full walk measures the base64
                                n_image += 1
                            elif nc is doc_cls:
                                n_document += 1
                            else:
                                n_search += 1
                            if nb.cache_control:
                                cc += 1
                elif (rc is None or rc == "") and b.is_error is True:
                    return None
                msg_results += 1
                if msg_results == 1:
                    turn.result_msgs += 1
                if turn.results is None:
                    turn.results = [(tuid, i, j)]
                else:
                    turn.results.append((tuid, i, j))
            elif c is use_cls:
                if not is_asst:  # (streaming leftovers: the schema hands them back)
                    return None
                f: tuple = astuple(b)  # id, name, input, cache_control, caller, toolset_name (_USE_FIELDS)
                tid: str = f[0]
                if tid in seen_tool_ids:
                    return None
                if old_ids:
                    for id_set in old_ids:
                        if tid in id_set:
                            return None
                if tid not in good_ids:
                    if id_match(tid) is None:
                        return None
                    if len(tid) <= _GOOD_ID_MAX_LEN:
                        good_add(tid)
                seen_tool_ids.add(tid)
                if f[3]:
                    cc += 1
                name: str = f[1]
                has_tool_blocks = True
                n_tool_use += 1
                caller = f[4]
                ce = type(caller) is dict and str(caller.get("type")).startswith("code_execution")
                if f[5] is unset and name not in hist_names:  # its first use is all B1 reads
                    hist_names.add(name)
                    hist_append((name, i, j))
                if turn.tool_uses is None:
                    turn.tool_uses = [(tid, i, j, name, ce)]
                else:
                    turn.tool_uses.append((tid, i, j, name, ce))
                track_a3 = turn.text_after_tool_use is None
            elif c is thinking_cls or c is redacted_cls:
                if is_user:  # (cache_control on thinking: the schema hands it back)
                    return None
                turn.has_thinking = True
                if c is thinking_cls:
                    n_thinking += 1
                else:
                    n_redacted += 1
            else:
                if c is image_cls:
                    src = b.source
                    if src is not unset and len(src) > image_max:
                        return None
                    n_image += 1
                elif c is doc_cls:
                    n_document += 1
                else:
                    n_search += 1
                if b.cache_control:
                    cc += 1
                if track_a2:
                    turn.other_before_result = (i, j)
                    track_a2 = False
                if track_a3 and c is not search_cls:
                    turn.text_after_tool_use = (i, j)
                    track_a3 = False

        if is_user:
            turn.non_result_blocks += len(blocks) - msg_results
        else:
            if turn.first_block_type is None:
                turn.first_block_type = block_types[type(blocks[0])]
            last = blocks[-1]
            lc = type(last)
            if lc is thinking_cls or lc is redacted_cls:
                return None  # thinking_final_block reads the last block as a dict: the full walk
            turn.last_block = last

    if turn is not None and turn.role == "assistant" and type(turn.last_block) is text_cls:
        # the checks read the last block of the final assistant turn (prefill): as the dict they expect
        turn.last_block = {"type": "text", "text": turn.last_block.text}
    if not records and turn is not None:
        if not _quiet(prev_turn, turn):
            return walk_decoded(messages, shape, every_merge, True)
        turn.msgs = list(range(first_i, last_end))
        if prev_turn is not None:
            prev_turn.msgs = list(range(prev_first, prev_end))
            turns.append(prev_turn)
        turns.append(turn)
        turns.extend(sys_tail)  # trailing system messages: the last role is theirs
        if turn.role == "assistant" and turn.tool_uses:
            shape.pending_tool_use_count = len(turn.tool_uses)  # as check_pairing would
    # only now, with no way back to the full walk, does the shape change
    _record(
        shape,
        res,
        n_user,
        n_asst,
        n_sys,
        0,
        n_text,
        n_tool_use,
        n_tool_result,
        n_thinking,
        n_redacted,
        n_image,
        n_document,
        n_search,
        n_refs,
        has_tool_blocks,
        cc,
    )
    shape.image_count += n_image
    shape.document_count += n_document
    shape.tool_reference_count += n_refs
    return res
