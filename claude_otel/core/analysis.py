"""analyze(): parse once, walk once, run the checks, predict. Never raises."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec
import orjson
from msgspec import Raw

from . import conversations, settings
from ._caches import request_key
from ._native import (  # the compiled modules when built and current, else the pure ones
    check_container,
    check_final_and_thinking,
    check_pairing,
    check_roles,
    walk_decoded,
    walk_messages,
)
from .checks_request import (
    REQUEST_BYTES_MAYBE,
    ToolsInfo,
    check_body_size,
    check_cache_limit,
    check_history_vs_tools,
    check_tool_choice,
    check_tools,
    check_tools_span,
    check_top_level,
    count_system_cache,
)
from .conversations import Checkpoint
from .findings import Collector
from .gcpause import gc_paused
from .models import ModelCapabilities, model_capabilities
from .schema import UNSET, Request, decode_request, learn_tools, load
from .types import PROVIDERS, Analysis, Finding, Shape
from .walk import WalkResult, WalkState

_MAX_MODEL_LEN = 128
_FAST_PATH = True  # tests switch it off to compare the two paths
_INCREMENTAL = True  # tests and the benchmark switch it off to compare with cold analyses
_SETTINGS = True  # known settings (core/settings.py): tests switch it off to compare
_PAUSE_GC_MESSAGES = 64  # measured: the pause pays from a few dozen messages on
_PAUSE_GC_BYTES = 32 * 1024  # the fast path's threshold, known before anything is decoded
_I64_MIN = -(2**63)  # the integers orjson reads as int (others as float)
_U64_MAX = 2**64 - 1
# the fast path's request-level checks by their inputs (see _decoded_request_checks); bounded, no content
# (model names, limits, the small top-level objects' bytes, a ToolsInfo)
_REQUEST_CACHE: dict[tuple, tuple] = {}
_REQUEST_CACHE_MAX = 256
# a usual request's key holds these as they are (at most ~1.3 KB of them: _caches.REQUEST_KEY_MAX_BYTES)
_KEY_MODEL_MAX = 256
_KEY_RAW_MAX = 512
_KEY_BETAS_MAX = 16  # names, each at most _KEY_BETA_MAX characters (else the bounded request_key)
_KEY_BETA_MAX = 64


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
    conversation: str | None = None,
) -> Analysis:
    """Shape + findings of one Messages API request body. Never raises (see docs/interfaces.md §1).

    `betas`: the request's beta flags (the `anthropic-beta` header: a sequence, or the comma-joined header
    value). None means unknown (no header information: rules that depend on a beta stay warnings); an
    empty sequence means the request carries no beta.
    `conversation`: the id of the session the request belongs to, when the client sends one (Claude
    Code's `x-claude-code-session-id`): it keys the conversation memory with the body's first KB, so
    that sessions whose bodies start alike do not take each other's place. It changes nothing else.
    """
    shape = Shape()
    try:
        known = None if betas is None else _betas(betas)
        if known:
            shape.betas = known
        if provider not in PROVIDERS:
            provider = "anthropic"
        if max_bytes is not None and isinstance(body, (bytes, bytearray, memoryview, str)):
            size = _size(body)
            if size > max_bytes:
                shape.body_bytes = size
                return Analysis(shape=shape, predicted="skipped")
        if _FAST_PATH and (body.__class__ is bytes or body.__class__ is str):
            out = Collector(provider)
            n = len(body)
            if _INCREMENTAL and n >= conversations.MIN_BYTES and body.__class__ is bytes:
                # through the conversation memory, which pauses the collector around what it decodes
                # whole (a body that continues its conversation's last one allocates little)
                req = _fast_remembered(body, shape, out, known, conversation)  # type: ignore[arg-type]
            elif n >= _PAUSE_GC_BYTES:  # decode, walk and checks allocate; none of it is garbage yet
                with gc_paused():
                    req = _fast(body, shape, out, known)
            else:
                req = _fast(body, shape, out, known)
            if req is not None:
                shape.body_bytes = len(body) if body.__class__ is bytes else _size(body)
                if shape.body_bytes > REQUEST_BYTES_MAYBE:
                    check_body_size(shape.body_bytes, out)
                findings = out.findings()
                # positional (half the cost): shape, findings, predicted, parse_error, _body, decoded
                return Analysis(shape, findings, _predict(findings) if findings else "ok", None, body, req)
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
        if size > REQUEST_BYTES_MAYBE:
            check_body_size(size, out)
        findings = out.findings()
        return Analysis(shape=shape, findings=findings, predicted=_predict(findings), _body=parsed)
    except Exception as e:  # the core never raises into the application
        return Analysis(shape=shape, predicted="unparsed", parse_error=f"internal error: {type(e).__name__}")


# the parsed anthropic-beta header by its text (a client sends the same on every request): bounded, at
# most _BETAS_MEMO_MAX headers of at most _BETAS_MEMO_CHARS characters (about 300 KB in all)
_BETAS_MEMO: dict[str, tuple[str, ...]] = {}
_BETAS_MEMO_MAX = 64
_BETAS_MEMO_CHARS = 4096


def _betas(betas: object) -> tuple[str, ...] | None:
    """The beta flags as a tuple of stripped names, or None when unknown (None or not a sequence)."""
    if betas is None:
        return None
    if betas.__class__ is str:
        hit = _BETAS_MEMO.get(betas)  # type: ignore[call-overload]
        if hit is not None:
            return hit
        parsed = tuple(s for b in betas.split(",") if (s := b.strip()))  # type: ignore[attr-defined]
        if len(betas) <= _BETAS_MEMO_CHARS:  # type: ignore[arg-type]
            if len(_BETAS_MEMO) >= _BETAS_MEMO_MAX:
                _BETAS_MEMO.clear()
            _BETAS_MEMO[betas] = parsed  # type: ignore[index]
        return parsed
    if isinstance(betas, str):  # (a str subclass)
        betas = betas.split(",")
    elif not isinstance(betas, (list, tuple, set, frozenset)):
        return None
    return tuple(s for b in betas if isinstance(b, str) and (s := b.strip()))


def _analyze_dict(body: dict, shape: Shape, out: Collector, betas: tuple[str, ...] | None) -> None:
    get = body.get
    tools_value = get("tools")
    caps, thinking, tools, continuing = _request_checks(body, tools_value, None, shape, out, betas)
    messages = get("messages")
    if not isinstance(messages, list) or not messages:
        what = (
            "missing" if messages is None else "empty" if messages == [] else f"a {type(messages).__name__}"
        )
        out.add("messages_empty", "messages", f"messages is {what}")
        messages = []
    shape.message_count = len(messages)
    res = walk_messages(messages, shape, out)
    system_cache = count_system_cache(get("system"))
    auto = get("cache_control")
    _turn_checks(res, messages, shape, out, caps, thinking, tools, continuing, system_cache, auto)


def _fast(body: bytes | str, shape: Shape, out: Collector, betas: tuple[str, ...] | None) -> Request | None:
    """The fast path: the decoded request when it ran to the end, None to take the full path. (A body of
    MIN_BYTES or more goes through the conversation memory instead, _fast_remembered: walked only from
    where the previous request of its conversation left off when it continues it, and remembered.)"""
    req, known = _decode(body)
    if req is None or _analyze_decoded(req, shape, out, betas, known=known) is None:
        return None
    return req


def _decode(body: bytes | str) -> tuple[Request | None, settings.Known | None]:
    """The decoded request, and its known settings (core/settings.py) when the body carries some: then
    only its messages were decoded. A body that does not is decoded whole, and its settings learned."""
    if body.__class__ is not bytes:
        return decode_request(body), None
    if _SETTINGS:
        if settings.KNOWN:
            hit = settings.decode(body)  # type: ignore[arg-type]
            if hit is not None:
                return hit
        req = decode_request(body, learn=False)
        if req is None:
            return None, None
        if not settings.sighted(req):  # its first sighting: nothing learned (most settings recur, or not)
            return req, None
        if req.tools.__class__ is Raw:
            learn_tools(body, req.tools)  # type: ignore[arg-type]
        return req, settings.learn(body, req)  # type: ignore[arg-type]
    return decode_request(body), None


def _fast_remembered(
    body: bytes, shape: Shape, out: Collector, betas: tuple[str, ...] | None, conversation: str | None
) -> Request | None:
    memory = conversations.MEMORY
    conv = None if conversation is None else conversations.conversation_id(conversation)
    key = conversations.key_of(body, out.provider, conv)
    cp = memory._entries.get(key)  # (MEMORY.get without the call: every large body pays it)
    if cp is not None and cp.prefix:
        cont = conversations.continued(cp, body)
        if cont is not None:
            added, offsets = cont
            at = cp.at
            req = msgspec.structs.replace(cp.req, messages=cp.req.messages[:at] + added)
            save_at = conversations.checkpoint_index(req.messages)
            # (the same bytes before and after the messages: the same known settings, if any)
            res = _analyze_decoded(req, shape, out, betas, cp.state, save_at, cp.known)
            if res is None:
                return None  # the full path, as a cold analysis would take it
            if not res.complete:  # (else the walk started again from scratch, with records)
                memory.resumed += 1
            if res.saved is not None and not res.complete:
                at_offset = offsets[save_at - at]
                memory.put(key, Checkpoint(body, save_at, res.saved, req, at_offset, cp.tail, cp.known))
            return req
    with gc_paused():  # decoded whole: decode, walk and checks allocate; none of it is garbage yet
        req, known = _decode(body)
        if req is None:
            return None
        if cp is None and key not in memory.seen._keys:
            # a new conversation: its key noted, nothing more (most conversations stay short)
            if _analyze_decoded(req, shape, out, betas, known=known) is None:
                return None
            memory.seen.add(key)
            return req
        # its second request (or one that did not continue the last): checkpoint and layout for the next
        save_at = conversations.checkpoint_index(req.messages)
        res = _analyze_decoded(req, shape, out, betas, None, save_at, known)
        if res is None:
            return None
        if res.saved is not None and not res.complete:
            found = conversations.layout(body, len(req.messages), save_at)
            prefix, tail = found if found is not None else (0, b"")
            memory.put(key, Checkpoint(body, save_at, res.saved, req, prefix, tail, known))
            memory.seen.discard(key)
        return req


def _analyze_decoded(
    req: Request,
    shape: Shape,
    out: Collector,
    betas: tuple[str, ...] | None,
    resume: WalkState | None = None,
    save_at: int = -1,
    known: settings.Known | None = None,
) -> WalkResult | None:
    """The fast path over a decoded body, the walk's result; None (shape and out untouched) hands it to
    the full path. `resume`/`save_at`: see walk_decoded."""
    messages = req.messages
    if not messages:
        return None  # messages_empty: the full path says it
    v = req.max_tokens
    if v.__class__ is int and not _I64_MIN <= v <= _U64_MAX:  # type: ignore[operator]
        return None  # orjson reads such an integer as a float: the full path says what it means
    v = req.temperature
    if v.__class__ is int and not _I64_MIN <= v <= _U64_MAX:  # type: ignore[operator]
        return None
    res = walk_decoded(messages, shape, out.provider == "bedrock", False, resume, save_at)
    if res is None:
        return None
    # the walk emitted nothing: the request-level findings come first, as on the full path
    caps, thinking, tools, continuing, auto = _decoded_request_checks(req, shape, out, betas, known)
    shape.message_count = len(messages)
    system = req.system
    system_cache = 0
    if system.__class__ is list:
        for b in system:  # type: ignore[union-attr]
            if b.cache_control:
                system_cache += 1
    _turn_checks(res, messages, shape, out, caps, thinking, tools, continuing, system_cache, auto)
    return res


def _decoded_request_checks(
    req: Request,
    shape: Shape,
    out: Collector,
    betas: tuple[str, ...] | None,
    known: settings.Known | None = None,
) -> tuple[ModelCapabilities | None, str | None, ToolsInfo, bool, Any]:
    """_request_checks for a decoded request, remembered by everything they read: agents send the same
    model, limits, thinking, tools and tool_choice on every request of a conversation. The findings and
    the shape fields come from the one run on a scratch shape; plus the top-level cache_control. A body
    with known settings (`known`) finds them there, by provider and betas, without a key to build."""
    hit = None if known is None else known.checks.get((out.provider, betas))
    if hit is None:
        hit = _request_checks_result(req, out, betas)
        if known is not None and hit[4] and len(known.checks) < settings.CHECKS_MAX:
            known.checks[out.provider, betas] = hit
    checks, findings, (a, b, c, d, e, f), (g, h, i), _ = hit
    shape.model, shape.stream, shape.max_tokens, shape.thinking, shape.tools_declared = a, b, c, d, e
    shape.tools_deferred, shape.tool_choice, shape.container, shape.thread = f, g, h, i
    if findings:
        out.items.extend(findings)
    return checks


def _request_checks_result(req: Request, out: Collector, betas: tuple[str, ...] | None) -> tuple:
    """(checks, findings, shape fields, more shape fields, whether the result was small enough to keep)."""
    span = req.tools
    tools = None if span is UNSET else check_tools_span(span, out.provider)  # by bytes: one memcmp
    temperature = req.temperature
    # the key: the settings' own bytes (agents send the same on every request), bounded in size
    model, thinking, tool_choice = req.model, req.thinking, req.tool_choice
    container, thread, cache_control = req.container, req.thread, req.cache_control
    if (
        container is UNSET
        and thread is UNSET
        and cache_control is UNSET
        and (model is UNSET or len(model) <= _KEY_MODEL_MAX)  # type: ignore[arg-type]
        and (thinking is UNSET or len(thinking) <= _KEY_RAW_MAX)  # type: ignore[arg-type]
        and (tool_choice is UNSET or len(tool_choice) <= _KEY_RAW_MAX)  # type: ignore[arg-type]
        and (
            betas is None
            or not betas
            or (len(betas) <= _KEY_BETAS_MAX and max(map(len, betas)) <= _KEY_BETA_MAX)
        )
    ):  # the usual request: a tuple of small values (no function call, no digest)
        key: tuple | None = (
            out.provider,
            req.max_tokens,
            req.stream,
            temperature,
            temperature.__class__,  # 2 and 2.0 are equal keys but read differently in a finding
            None if tools is None else tools[1],  # the ToolsInfo of a byte-equal tools[] is the same object
            betas,
            model,
            None if thinking is UNSET else bytes(thinking),  # type: ignore[arg-type]
            None if tool_choice is UNSET else bytes(tool_choice),  # type: ignore[arg-type]
        )
    else:
        key = request_key(  # the same, with the rarer fields, None when they are large
            (
                out.provider,
                req.max_tokens,
                req.stream,
                temperature,
                temperature.__class__,
                None if tools is None else tools[1],
                "rare",  # (longer than a usual key: never equal to one)
            ),
            (betas, model, thinking, tool_choice, container, thread, cache_control),
        )
    hit = _REQUEST_CACHE.get(key) if key is not None else None
    if hit is None:
        top: dict[str, Any] = {}  # the top-level fields the checks read (spelled out: no getattr by name)
        if (v := req.model) is not UNSET:
            top["model"] = v
        if (v := req.max_tokens) is not UNSET:
            top["max_tokens"] = v
        if (v := req.stream) is not UNSET:
            top["stream"] = v
        if temperature is not UNSET:
            top["temperature"] = temperature
        if (raw := req.thinking) is not UNSET:
            top["thinking"] = load(raw)
        if (raw := req.tool_choice) is not UNSET:
            top["tool_choice"] = load(raw)
        if (raw := req.container) is not UNSET:
            top["container"] = load(raw)
        if (raw := req.thread) is not UNSET:
            top["thread"] = load(raw)
        if (raw := req.cache_control) is not UNSET:
            top["cache_control"] = load(raw)
        s, o = Shape(), Collector(out.provider)
        caps, thinking, info, continuing = _request_checks(top, None, tools, s, o, betas)
        hit = (
            (caps, thinking, info, continuing, top.get("cache_control")),
            tuple(o.items),
            (s.model, s.stream, s.max_tokens, s.thinking, s.tools_declared, s.tools_deferred),
            (s.tool_choice, s.container, s.thread),
            key is not None and not o.dropped,
        )
        if key is not None:
            if len(_REQUEST_CACHE) >= _REQUEST_CACHE_MAX:
                _REQUEST_CACHE.clear()
            _REQUEST_CACHE[key] = hit
    return hit


def _request_checks(
    top: dict,
    tools_value: Any,
    tools_checked: tuple[Any, ToolsInfo, tuple[Finding, ...]] | None,
    shape: Shape,
    out: Collector,
    betas: tuple[str, ...] | None,
) -> tuple[ModelCapabilities | None, str | None, ToolsInfo, bool]:
    """model, stream, max_tokens, thinking, tools, tool_choice, container, thread (in the order of the
    findings); `top` holds the top-level fields other than messages and system; tools[] comes as its
    value or, on the fast path, already checked by check_tools_span (reported here, in order)."""
    get = top.get
    tools_info = None
    if tools_checked is not None:
        tools_value, tools_info, tools_findings = tools_checked
    model = get("model")
    if isinstance(model, str):
        shape.model = model[:_MAX_MODEL_LEN]
    shape.stream = get("stream") is True
    mt = get("max_tokens")
    if isinstance(mt, int) and not isinstance(mt, bool):
        shape.max_tokens = mt
    caps = model_capabilities(model) if isinstance(model, str) else None
    thinking = check_top_level(top, shape, out, caps, betas, tools_value)

    if tools_info is None:
        tools = check_tools(tools_value, out)
    else:
        tools = tools_info
        out.items.extend(tools_findings)
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
    return caps, thinking, tools, tt == "continue"


def _turn_checks(
    res: WalkResult,
    messages: list,
    shape: Shape,
    out: Collector,
    caps: ModelCapabilities | None,
    thinking: str | None,
    tools: ToolsInfo,
    continuing: bool,
    system_cache: int,
    auto_cache: Any,
) -> None:
    turns = res.turns
    shape.last_role = turns[-1].role if turns else None
    if res.complete:  # else the walk has checked every turn for these as it went (see walk_decoded)
        check_pairing(turns, shape, out, continuing)
    check_container(turns, out, shape.container, continuing)
    if res.complete:
        check_roles(turns, messages, out, out.provider)
    check_final_and_thinking(turns, out, caps, thinking)
    check_history_vs_tools(res, tools, out, continuing)
    explicit = shape.cache_control_count + tools.cache_control + system_cache
    check_cache_limit(shape, explicit, bool(auto_cache), out)
