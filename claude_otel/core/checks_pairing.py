"""Group A/E/F pairing checks over merged turns (pure: reads Turn records, writes findings).

tool_use ids of an assistant turn must be answered by tool_result blocks at the start of the next
user turn; results must name a tool_use of the immediately preceding assistant turn; server tool uses
must have their result in the same assistant turn unless the turn is the last one (pause_turn).
With a thread continuation the history is on the server: what cannot be seen is not judged.
"""

from __future__ import annotations

from typing import Any

from .findings import Collector, fmt_ids
from .types import Shape
from .walk import Turn


def _next_turn(turns: list[Turn], k: int) -> Turn | None:
    """The next non-system turn after turns[k] (system messages are transparent for pairing)."""
    for t in turns[k + 1 :]:
        if t.role != "system":
            return t
    return None


def check_pairing(turns: list[Turn], shape: Shape, out: Collector, thread: bool) -> None:
    prev_asst: Turn | None = None
    n = len(turns)
    last_real = None
    for t in reversed(turns):
        if t.role != "system":
            last_real = t
            break
    for k in range(n):
        turn = turns[k]
        if turn.role == "system":
            continue
        if turn.role == "assistant":
            nxt = _next_turn(turns, k)
            is_last = nxt is None
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
            if turn.server_unresolved:
                if is_last:
                    last = turn.last_block
                    if isinstance(last, dict) and last.get("type") == "server_tool_use":
                        shape.trailing_server_tool_use = True
                elif not turn.tool_uses:
                    ids = [s for s in turn.server_unresolved if isinstance(s, str)]
                    i, j = next(iter(turn.server_unresolved.values()))
                    out.add(
                        "server_tool_use_without_result",
                        f"messages.{i}.content.{j}",
                        f"server_tool_use {fmt_ids(ids)} has no result block and the conversation continues",
                    )
            uses = turn.tool_uses
            if uses:
                ids = [u[0] for u in uses]
                if is_last:
                    shape.pending_tool_use_count = len(ids)
                elif nxt is not None and nxt.role == "user":
                    answered = {r[0] for r in nxt.results}
                    missing = [x for x in ids if x not in answered]
                    if nxt is last_real:
                        shape.pending_tool_use_count = len(missing)
                    if missing:
                        out.add(
                            "tool_result_missing",
                            f"messages.{nxt.msgs[0]}",
                            f"tool_use ids {fmt_ids(missing)} of messages.{uses[0][1]} have no tool_result"
                            f" in the next user turn (messages.{nxt.msgs[0]})",
                        )
                    # A14: pending server_tool_use next to client calls: answer with results only
                    if turn.server_unresolved and nxt.non_result_blocks:
                        out.add(
                            "mixed_client_server_batch",
                            f"messages.{nxt.msgs[0]}",
                            "the turn answering client tool_use next to a pending server_tool_use holds"
                            " non-tool_result blocks",
                        )
            prev_asst = turn
            continue

        # user turn
        expected: set[Any] = {u[0] for u in prev_asst.tool_uses} if prev_asst is not None else set()
        seen: set[Any] = set()
        obr = turn.other_before_result
        if turn.result_msgs > 1:
            shape.results_split = True
            out.add(
                "tool_results_split",
                f"messages.{turn.msgs[0]}",
                f"tool results spread over {turn.result_msgs} consecutive user messages",
            )
        for tuid, i, j in turn.results:
            path = f"messages.{i}.content.{j}"
            if tuid in seen:
                out.add("tool_result_duplicate", path, f"more than one tool_result for tool_use id {tuid}")
                continue
            if isinstance(tuid, str):
                seen.add(tuid)
            if obr is not None and (i, j) > obr:
                shape.text_before_tool_result = True
                if tuid in expected:
                    out.add(
                        "tool_result_not_first",
                        path,
                        f"tool_result {tuid} comes after a non-result block"
                        f" (messages.{obr[0]}.content.{obr[1]})",
                    )
                    continue
            if tuid not in expected and isinstance(tuid, str):
                if prev_asst is None and thread:
                    continue  # the calls are in the server-held history
                out.add(
                    "tool_result_orphan",
                    path,
                    f"tool_result {tuid} names no tool_use of the preceding assistant turn",
                )
        prev_asst = None


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
    for tid, i, j, _name, ce in last_asst.tool_uses:
        if ce:
            out.add(
                "container_required",
                "container",
                f"tool_use {tid} at messages.{i}.content.{j} was generated by code execution but no container"
                " is sent",
                "warning" if thread else None,
            )
            return
