"""analyze(): parse once, walk once, run the checks, predict. Never raises."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from ._native import (  # the compiled modules when built and current, else the pure ones
    check_container,
    check_final_and_thinking,
    check_pairing,
    check_roles,
    walk_messages,
)
from .checks_request import (
    check_cache_limit,
    check_history_vs_tools,
    check_tool_choice,
    check_tools,
    check_top_level,
    count_system_cache,
)
from .findings import Collector
from .gcpause import gc_paused
from .models import model_capabilities
from .types import PROVIDERS, Analysis, Finding, Shape

_MAX_MODEL_LEN = 128
_PAUSE_GC_MESSAGES = 64  # measured: the pause pays from a few dozen messages on


def parse_body(body: bytes | str | Mapping) -> tuple[Any, int, str | None]:
    """(parsed value, body bytes, one-line parse error or None)."""
    cls = body.__class__
    if cls is bytes or cls is str or isinstance(body, (bytes, bytearray, memoryview, str)):
        size = _size(body)
        try:
            return orjson.loads(body), size, None
        except orjson.JSONDecodeError as e:
            return None, size, f"line {e.lineno} column {e.colno}: {e.msg}"
        except Exception as e:  # e.g. unencodable surrogates in a str
            return None, size, f"not valid JSON text: {type(e).__name__}"
    if isinstance(body, Mapping):
        # a caller's mapping may hold dict/list/str subclasses (OrderedDict, pydantic dumps): one round trip
        # gives the exact JSON types the checks expect, and the size the API would receive
        try:
            raw = orjson.dumps(body)
        except (TypeError, orjson.JSONEncodeError):  # not JSON-serialisable as a whole: take it as it is
            return body, 0, None
        return orjson.loads(raw), len(raw), None
    return None, 0, f"body is a {type(body).__name__}, not bytes, str or a mapping"


def _size(body: bytes | bytearray | memoryview | str) -> int:
    if isinstance(body, str):
        return len(body) if body.isascii() else len(body.encode("utf-8", "surrogatepass"))
    return body.nbytes if isinstance(body, memoryview) else len(body)


def _predict(findings: Sequence[Finding]) -> str:
    if not findings:
        return "ok"
    for f in findings:
        if f.severity == "error":
            return "error"
    return "warning"


def analyze(
    body: bytes | str | Mapping,
    *,
    provider: str = "anthropic",
    max_bytes: int | None = None,
    betas: Sequence[str] | str | None = None,
) -> Analysis:
    """Shape + findings of one Messages API request body. Never raises (see docs/interfaces.md §1).

    `betas`: the request's beta flags (the `anthropic-beta` header: a sequence, or the comma-joined header
    value). None means unknown (no header information: rules that depend on a beta stay warnings); an
    empty sequence means the request carries no beta.
    """
    shape = Shape()
    try:
        known = _betas(betas)
        if known:
            shape.betas = known
        if provider not in PROVIDERS:
            provider = "anthropic"
        if max_bytes is not None and isinstance(body, (bytes, bytearray, memoryview, str)):
            size = _size(body)
            if size > max_bytes:
                shape.body_bytes = size
                return Analysis(shape=shape, predicted="skipped")
        parsed, size, err = parse_body(body)
        shape.body_bytes = size
        if err is not None:
            return Analysis(shape=shape, predicted="unparsed", parse_error=err)
        if not isinstance(parsed, Mapping):
            return Analysis(
                shape=shape,
                predicted="unparsed",
                parse_error=f"body is a JSON {type(parsed).__name__}, not an object",
            )
        if not isinstance(parsed, dict):
            parsed = dict(parsed)
        out = Collector(provider)
        msgs = parsed.get("messages")
        if msgs.__class__ is list and len(msgs) >= _PAUSE_GC_MESSAGES:
            with gc_paused():  # the walk's records die on return: no collection needs to see them
                _analyze_dict(parsed, shape, out, known)
        else:  # a short walk triggers no collection worth avoiding: the pause would cost more
            _analyze_dict(parsed, shape, out, known)
        findings = tuple(out.items)
        return Analysis(shape=shape, findings=findings, predicted=_predict(findings), body=parsed)
    except Exception as e:  # the core never raises into the application
        return Analysis(shape=shape, predicted="unparsed", parse_error=f"internal error: {type(e).__name__}")


def _betas(betas: object) -> tuple[str, ...] | None:
    """The beta flags as a tuple of stripped names, or None when unknown (None or not a sequence)."""
    if betas is None:
        return None
    if isinstance(betas, str):
        betas = betas.split(",")
    elif not isinstance(betas, (list, tuple, set, frozenset)):
        return None
    return tuple(s for b in betas if isinstance(b, str) and (s := b.strip()))


def _analyze_dict(body: dict, shape: Shape, out: Collector, betas: tuple[str, ...] | None) -> None:
    get = body.get
    model = get("model")
    if isinstance(model, str):
        shape.model = model[:_MAX_MODEL_LEN]
    shape.stream = get("stream") is True
    mt = get("max_tokens")
    if isinstance(mt, int) and not isinstance(mt, bool):
        shape.max_tokens = mt
    caps = model_capabilities(model) if isinstance(model, str) else None
    thinking = check_top_level(body, shape, out, caps, betas)

    tools = check_tools(get("tools"), out)
    shape.tools_declared = tools.declared
    shape.tools_deferred = tools.deferred
    shape.tool_choice = check_tool_choice(get("tool_choice"), shape, out)
    shape.container = get("container") is not None
    thread = get("thread")
    tt = None
    if thread is not None:
        tt = thread.get("type") if isinstance(thread, dict) else None
        tt = tt if tt in ("create", "continue") else "other"
    shape.thread = tt
    continuing = tt == "continue"

    messages = get("messages")
    if not isinstance(messages, list) or not messages:
        what = (
            "missing" if messages is None else "empty" if messages == [] else f"a {type(messages).__name__}"
        )
        out.add("messages_empty", "messages", f"messages is {what}")
        messages = []
    shape.message_count = len(messages)
    res = walk_messages(messages, shape, out)
    turns = res.turns
    shape.last_role = turns[-1].role if turns else None

    check_pairing(turns, shape, out, continuing)
    check_container(turns, out, shape.container, continuing)
    check_roles(turns, messages, out, out.provider)
    check_final_and_thinking(turns, out, caps, thinking)
    check_history_vs_tools(res, tools, out, continuing)
    explicit = shape.cache_control_count + tools.cache_control + count_system_cache(get("system"))
    check_cache_limit(shape, explicit, bool(get("cache_control")), out)
