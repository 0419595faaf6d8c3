"""Group A/E/F pairing checks over merged turns (pure: reads Turn records, writes findings).

tool_use ids of an assistant turn must be answered by tool_result blocks at the start of the next
user turn; results must name a tool_use of the immediately preceding assistant turn; server tool uses
must have their result in the same assistant turn unless the turn is the last one (pause_turn).
With a thread continuation the history is on the server: what cannot be seen is not judged.
"""

from __future__ import annotations

from operator import attrgetter, itemgetter
from typing import Any

from .findings import Collector, fmt_ids
from .types import Shape
from .walk import Turn

_first = itemgetter(0)
_role = attrgetter("role")


def check_pairing(turns: list[Turn], shape: Shape, out: Collector, thread: bool) -> None:
    # system messages are transparent for pairing
    real = [t for t in turns if t.role != "system"] if "system" in map(_role, turns) else turns
    n = len(real)
    last_real = real[-1] if real else None
    prev_asst: Turn | None = None
    for k, turn in enumerate(real, 1):  # k: index of the next turn
        if turn.role == "assistant":
            nxt = real[k] if k < n else None
            uses = turn.tool_uses
            # fast path: a plain call set answered by the next turn; anything else gets the full check
            if (
                not uses
                or nxt is None
                or nxt is last_real
                or turn.text_after_tool_use is not None
                or turn.server_unresolved is not None
                or not (results := nxt.results)
                or not (
                    (len(uses) == 1 and len(results) == 1 and uses[0][0] == results[0][0])
                    or set(map(_first, results)).issuperset(map(_first, uses))
                )
            ):
                _check_assistant(turn, nxt, nxt is last_real, shape, out)
            prev_asst = turn
        else:
            results = turn.results
            if results:
                # fast path: the results answer the previous calls, come first, once each, in one message
                if (
                    turn.result_msgs != 1
                    or turn.other_before_result is not None
                    or prev_asst is None
                    or not (uses := prev_asst.tool_uses)
                    or not (
                        (len(uses) == 1 and len(results) == 1 and uses[0][0] == results[0][0])
                        or (
                            len(ids := set(map(_first, results))) == len(results)
                            and ids.issubset(map(_first, uses))
                        )
                    )
                ):
                    _check_user(turn, prev_asst, shape, out, thread)
            elif turn.result_msgs:
                _check_user(turn, prev_asst, shape, out, thread)
            prev_asst = None


def _check_assistant(turn: Turn, nxt: Turn | None, nxt_is_last: bool, shape: Shape, out: Collector) -> None:
    # A3: text/media after a tool_use in the same assistant turn
    if turn.text_after_tool_use is not None:
        i, j = turn.text_after_tool_use
        out.add(
            "tool_use_not_trailing",
            f"messages.{i}.content.{j}",
            f"assistant turn at messages.{turn.msgs[0]} has a non-tool block after a tool_use",
        )
    # E4: unresolved server_tool_use: valid when last (pause_turn) or when the turn also waits on
    # client tool_use (code execution calling a client tool: answered together)
    pending = turn.server_unresolved
    if pending:
        if nxt is None:
            last = turn.last_block
            if isinstance(last, dict) and last.get("type") == "server_tool_use":
                shape.trailing_server_tool_use = True
        elif not turn.tool_uses:
            ids = [s for s in pending if isinstance(s, str)]
            i, j = next(iter(pending.values()))
            out.add(
                "server_tool_use_without_result",
                f"messages.{i}.content.{j}",
                f"server_tool_use {fmt_ids(ids)} has no result block and the conversation continues",
            )
    uses = turn.tool_uses
    if not uses:
        return
    if nxt is None:
        shape.pending_tool_use_count = len(uses)
        return
    results = nxt.results or ()
    answered = {r[0] for r in results}
    missing = [u[0] for u in uses if u[0] not in answered]
    if nxt_is_last:
        shape.pending_tool_use_count = len(missing)
    if missing:
        out.add(
            "tool_result_missing",
            f"messages.{nxt.msgs[0]}",
            f"tool_use ids {fmt_ids(missing)} of messages.{uses[0][1]} have no tool_result"
            f" in the next user turn (messages.{nxt.msgs[0]})",
        )
    # A14: pending server_tool_use next to client calls: answer with results only
    if pending and nxt.non_result_blocks:
        out.add(
            "mixed_client_server_batch",
            f"messages.{nxt.msgs[0]}",
            "the turn answering client tool_use next to a pending server_tool_use holds"
            " non-tool_result blocks",
        )


def _check_user(turn: Turn, prev_asst: Turn | None, shape: Shape, out: Collector, thread: bool) -> None:
    expected: set[Any] = (
        {u[0] for u in prev_asst.tool_uses} if prev_asst is not None and prev_asst.tool_uses else set()
    )
    seen: set[Any] = set()
    obr = turn.other_before_result
    if turn.result_msgs > 1:
        shape.results_split = True
        out.add(
            "tool_results_split",
            f"messages.{turn.msgs[0]}",
            f"tool results spread over {turn.result_msgs} consecutive user messages",
        )
    for tuid, i, j in turn.results or ():
        path = f"messages.{i}.content.{j}"
        if tuid in seen:
            out.add("tool_result_duplicate", path, f"more than one tool_result for tool_use id {tuid}")
            continue
        if tuid is not None:
            seen.add(tuid)
        if obr is not None and (i, j) > obr:
            shape.text_before_tool_result = True
            if tuid in expected:
                out.add(
                    "tool_result_not_first",
                    path,
                    f"tool_result {tuid} comes after a non-result block (messages.{obr[0]}.content.{obr[1]})",
                )
                continue
        if tuid is not None and tuid not in expected:
            if prev_asst is None and thread:
                continue  # the calls are in the server-held history
            out.add(
                "tool_result_orphan",
                path,
                f"tool_result {tuid} names no tool_use of the preceding assistant turn",
            )


def check_container(turns: list[Turn], out: Collector, has_container: bool, thread: bool) -> None:
    """F1: pending client tool uses generated by code execution need the container id sent back."""
    if has_container:
        return
    last_asst = None
    for t in reversed(turns):
        if t.role == "assistant":
            last_asst = t
            break
    if last_asst is None:
        return
    for tid, i, j, _name, ce in last_asst.tool_uses or ():
        if ce:
            out.add(
                "container_required",
                "container",
                f"tool_use {tid} at messages.{i}.content.{j} was generated by code execution but no container"
                " is sent",
                "warning" if thread else None,
            )
            return
