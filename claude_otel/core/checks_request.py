"""Request-level checks (pure): top-level fields, tools[] (B, G), tool_choice, thinking config (D8-D11),
model caps (H), cache_control limit, and the cross-checks between the history and tools[]."""

from __future__ import annotations

import re
from typing import Any

import orjson
from msgspec import Raw

from .findings import Collector, fmt_ids, safe_name
from .models import ModelCapabilities
from .schema import KNOWN_TOOLS, load
from .types import Finding, Shape
from .walk import WalkResult

TOOL_NAME_RE = re.compile(r"[a-zA-Z0-9_-]{1,128}")
TOOL_CHOICE_TYPES = ("auto", "any", "tool", "none")
THINKING_CONFIG_TYPES = frozenset({"enabled", "disabled", "adaptive", "between_tools"})
CACHE_CONTROL_MAX = 4
# the Messages API's request limit, "32 MB" (Cloudflare answers 413 request_too_large before the API sees
# the body); which MB is not documented: an error above 32 MiB, a warning between the two
REQUEST_BYTES_MAX = 32 * 1024 * 1024
REQUEST_BYTES_MAYBE = 32_000_000
INTERLEAVED_BETA = "interleaved-thinking-2025-05-14"
INTERLEAVED_BETA_PREFIX = "interleaved-thinking"
_TOOLS_CACHE: dict[tuple[str, int], list[tuple[list, ToolsInfo, tuple[Finding, ...], int]]] = {}
_TOOLS_CACHE_KEYS = 32  # (provider, number of tools) keys; at most 128 tool sets kept
_TOOLS_CACHE_PER_KEY = 4  # distinct tool sets per key
# the fast path's cache: (provider, span length) -> (the span's bytes, parsed tools, info, findings)
_SPAN_CACHE: dict[tuple[str, int], list[tuple[Raw, Any, ToolsInfo, tuple[Finding, ...]]]] = {}
# bounded in bytes too (JSON bytes of the tool sets kept, per cache; their parsed values weigh a few times
# more): a tools[] above the entry cap is checked every time, and a cache over its budget starts afresh
_TOOLS_CACHE_MAX_BYTES = 4 * 1024 * 1024
_TOOLS_ENTRY_MAX_BYTES = 1024 * 1024
_CACHE_BYTES = {"tools": 0, "span": 0}
_GOOD_NAMES: set[str] = set()  # tool names already seen to match the pattern (fleets resend the same tools)
_SUB_TOOLS = {"bash_code_execution": "code_execution", "text_editor_code_execution": "code_execution"}


class ToolsInfo:
    __slots__ = ("cache_control", "declared", "deferred", "names", "opaque", "present")

    def __init__(self) -> None:
        self.present = False
        self.declared = 0
        self.deferred = 0
        self.names: set[str] = set()
        self.opaque = False  # toolsets / MCP toolsets: member names cannot be enumerated
        self.cache_control = 0


def _open_object_schema(schema: Any, depth: int = 0) -> bool:
    """True when some object schema inside lacks additionalProperties: false (strict tools)."""
    if depth > 32 or not isinstance(schema, dict):
        return False
    if schema.get("type") == "object" and schema.get("additionalProperties") is not False:
        return True
    props = schema.get("properties")
    if isinstance(props, dict) and any(_open_object_schema(v, depth + 1) for v in props.values()):
        return True
    for key in ("items", "$defs", "definitions"):
        sub = schema.get(key)
        if isinstance(sub, dict):
            if key == "items":
                if _open_object_schema(sub, depth + 1):
                    return True
            elif any(_open_object_schema(v, depth + 1) for v in sub.values()):
                return True
    for key in ("anyOf", "oneOf", "allOf"):
        sub = schema.get(key)
        if isinstance(sub, list) and any(_open_object_schema(v, depth + 1) for v in sub):
            return True
    return False


def check_tools(tools: Any, out: Collector) -> ToolsInfo:
    """Group B/G checks on tools[]. Fleets resend the same tools on every request: the result for a
    tools list equal (deep, C-level ==) to one seen before is reused; the cache keeps its own copy."""
    if tools is None:
        return ToolsInfo()
    if tools.__class__ is not list:
        out.add("field_required", "tools", f"tools is a {type(tools).__name__}, not a list")
        return ToolsInfo()
    key = (out.provider, len(tools))
    bucket = _TOOLS_CACHE.get(key)
    if bucket is not None:
        for cached, info, findings, _ in bucket:
            try:
                same = cached == tools
            except RecursionError:
                same = False
            if same:
                out.items.extend(findings)
                return info
    mark = len(out.items)
    info = _check_tools(tools, out)
    if out.dropped:  # over the findings cap: what was kept is not the whole answer for this list
        return info
    try:
        raw = orjson.dumps(tools)
    except (TypeError, orjson.JSONEncodeError):  # not JSON (a caller's Mapping): do not cache
        return info
    size = len(raw)
    if size > _TOOLS_ENTRY_MAX_BYTES:
        return info
    frozen = orjson.loads(raw)
    if _CACHE_BYTES["tools"] + size > _TOOLS_CACHE_MAX_BYTES:
        _TOOLS_CACHE.clear()
        _CACHE_BYTES["tools"] = 0
        bucket = None
    if bucket is None:
        if len(_TOOLS_CACHE) >= _TOOLS_CACHE_KEYS:
            _TOOLS_CACHE.clear()
            _CACHE_BYTES["tools"] = 0
        bucket = _TOOLS_CACHE[key] = []
    if len(bucket) >= _TOOLS_CACHE_PER_KEY:
        _CACHE_BYTES["tools"] -= bucket.pop(0)[3]
    bucket.append((frozen, info, tuple(out.items[mark:]), size))
    _CACHE_BYTES["tools"] += size
    return info


def check_tools_span(raw: Raw, provider: str) -> tuple[Any, ToolsInfo, tuple[Finding, ...]]:
    """check_tools for the fast path, from the tools[] byte span: (the parsed tools, their ToolsInfo,
    the findings, for the caller to report in its order).

    A span byte-equal to one seen before (a memcmp) reuses its parsed value, ToolsInfo and findings
    without loading it; the cache keeps its own copy of the bytes."""
    key = (provider, len(raw))
    bucket = _SPAN_CACHE.get(key)
    if bucket is not None:
        for k, (cached, parsed, info, findings) in enumerate(bucket):
            if cached is raw:  # the span schema.KNOWN_TOOLS put back: no memcmp
                return parsed, info, findings
            if cached == raw:
                for known in KNOWN_TOOLS:
                    if known.raw is raw:  # an owned copy: keep it, the next request is the same object
                        bucket[k] = (raw, parsed, info, findings)
                        break
                return parsed, info, findings
    parsed = load(raw)
    out = Collector(provider)
    info = check_tools(parsed, out)
    findings = tuple(out.items)
    size = len(raw)
    if size > _TOOLS_ENTRY_MAX_BYTES or out.dropped:
        return parsed, info, findings
    if _CACHE_BYTES["span"] + size > _TOOLS_CACHE_MAX_BYTES:
        _SPAN_CACHE.clear()
        _CACHE_BYTES["span"] = 0
        bucket = None
    if bucket is None:
        if len(_SPAN_CACHE) >= _TOOLS_CACHE_KEYS:
            _SPAN_CACHE.clear()
            _CACHE_BYTES["span"] = 0
        bucket = _SPAN_CACHE[key] = []
    if len(bucket) >= _TOOLS_CACHE_PER_KEY:
        bucket.pop(0)
        _CACHE_BYTES["span"] -= size  # every span of a bucket has its key's length
    bucket.append((raw.copy(), parsed, info, findings))
    _CACHE_BYTES["span"] += size
    return parsed, info, findings


def _check_tools(tools: list, out: Collector) -> ToolsInfo:
    info = ToolsInfo()
    info.present = bool(tools)
    names = info.names
    good = _GOOD_NAMES
    declared = deferred = cache = 0
    k = -1
    for tool in tools:
        k += 1
        if tool.__class__ is not dict:
            continue
        declared += 1
        get = tool.get
        if get("defer_loading") is True:
            deferred += 1
        if "cache_control" in tool and tool["cache_control"]:  # noqa: RUF019 (faster than .get)
            cache += 1
        ttype = get("type")
        name = get("name")
        if name.__class__ is str:
            if name in names:
                out.add("tool_name_duplicate", f"tools.{k}", f"tool name {safe_name(name)} is declared twice")
            names.add(name)
        if ttype is not None and ttype != "custom":
            if ttype.__class__ is str and ("toolset" in ttype or ttype.startswith("mcp")):
                info.opaque = True
            continue  # Anthropic-defined / server tools: fixed names, no input_schema
        if name.__class__ is not str or name not in good:
            if name.__class__ is not str or not TOOL_NAME_RE.fullmatch(name):
                out.add(
                    "tool_name_pattern",
                    f"tools.{k}.custom.name",
                    f"tools.{k} name {safe_name(name)} does not match ^[a-zA-Z0-9_-]{{1,128}}$",
                )
            else:
                if len(good) > 4096:
                    good.clear()
                good.add(name)
        schema = get("input_schema")
        if schema.__class__ is dict and schema.get("type") == "object":
            if "anyOf" in schema or "oneOf" in schema or "allOf" in schema:
                out.add(
                    "tool_input_schema_invalid",
                    f"tools.{k}.custom.input_schema",
                    f"tools.{k} ({safe_name(name)}) input_schema has oneOf/allOf/anyOf at the top level",
                )
            elif get("strict") is True and _open_object_schema(schema):
                out.add(
                    "strict_schema_not_closed",
                    f"tools.{k}.custom",
                    f"strict tool {safe_name(name)} has an object schema without additionalProperties false",
                )
        elif schema is None:
            out.add(
                "tool_input_schema_invalid",
                f"tools.{k}.custom.input_schema",
                f"tools.{k} ({safe_name(name)}) has no input_schema",
            )
        else:
            out.add(
                "tool_input_schema_invalid",
                f"tools.{k}.custom.input_schema",
                f"tools.{k} ({safe_name(name)}) input_schema type is not object",
            )
    info.declared = declared
    info.deferred = deferred
    info.cache_control = cache
    if info.declared and info.deferred == info.declared:
        out.add("all_tools_deferred", "tools", f"all {info.declared} tools have defer_loading true")
    return info


def check_tool_choice(tc: Any, shape: Shape, out: Collector) -> str | None:
    """B7; returns the tool_choice type (bounded) for the shape."""
    if tc is None:
        return None
    if not isinstance(tc, dict):
        out.add("tool_choice_shape", "tool_choice", f"tool_choice is a {type(tc).__name__}, not an object")
        return "other"
    t = tc.get("type")
    if t not in TOOL_CHOICE_TYPES:
        out.add(
            "tool_choice_shape", "tool_choice", f"tool_choice type {safe_name(t)} is not auto/any/tool/none"
        )
        return "other"
    if t == "tool" and not isinstance(tc.get("name"), str):
        out.add("tool_choice_shape", "tool_choice.tool.name", "tool_choice type tool has no name")
    return t


def check_top_level(
    body: dict,
    shape: Shape,
    out: Collector,
    caps: ModelCapabilities | None,
    betas: tuple[str, ...] | None = None,
    tools: Any = None,
) -> str | None:
    """model / max_tokens / thinking config; returns the thinking type (or None).

    `betas`: the request's beta flags, None when unknown. `tools`: the request's tools[] value (the body
    dict may hold only the top-level fields, see analysis._analyze_decoded)."""
    model = body.get("model")
    if not isinstance(model, str) or not model:
        out.add("field_required", "model", "model is missing or not a string")
    mt = body.get("max_tokens")
    if mt is None:
        out.add("field_required", "max_tokens", "max_tokens is missing (required by /v1/messages)", "warning")
    elif not isinstance(mt, int) or isinstance(mt, bool) or mt < 0:
        out.add("field_required", "max_tokens", "max_tokens is not a non-negative integer")
        mt = None
    elif caps is not None and caps.max_tokens is not None and mt > caps.max_tokens:
        out.add(
            "max_tokens_exceeds_model",
            "max_tokens",
            f"max_tokens {mt} > {caps.max_tokens}, the cap of {caps.family}",
        )

    thinking = body.get("thinking")
    ttype = None
    if isinstance(thinking, dict):
        ttype = thinking.get("type")
        if not isinstance(ttype, str) or ttype not in THINKING_CONFIG_TYPES:
            ttype = "other"
    elif thinking is not None:
        ttype = "other"
    shape.thinking = ttype
    if ttype == "enabled":
        bt = thinking.get("budget_tokens")  # type: ignore[union-attr]
        if isinstance(bt, int) and not isinstance(bt, bool):
            if bt < 1024:
                out.add("thinking_budget", "thinking.enabled.budget_tokens", f"budget_tokens {bt} < 1024")
            elif isinstance(mt, int) and bt >= mt:
                _check_budget_over_max(bt, mt, bool(tools), caps, betas, out)
        elif "budget_tokens" not in thinking:  # type: ignore[operator]
            out.add(
                "field_required",
                "thinking.enabled.budget_tokens",
                "thinking type enabled has no budget_tokens",
            )
    if ttype in ("enabled", "adaptive"):
        sev = None if ttype == "enabled" else "warning"
        tc = body.get("tool_choice")
        if isinstance(tc, dict) and tc.get("type") in ("any", "tool"):
            out.add(
                "thinking_forced_tool_choice",
                "tool_choice",
                f"thinking {ttype} with tool_choice {tc['type']}",
                sev,
            )
        temp = body.get("temperature")
        if isinstance(temp, (int, float)) and not isinstance(temp, bool) and temp != 1:
            out.add(
                "thinking_sampling_params", "temperature", f"thinking {ttype} with temperature {temp}", sev
            )
    if (
        caps is not None
        and caps.thinking_types is not None
        and ttype in ("enabled", "adaptive", "disabled")
        and ttype not in caps.thinking_types
    ):
        out.add(
            "thinking_type_unsupported",
            "thinking.type",
            f"thinking type {ttype} is not accepted by {caps.family}"
            f" (accepts {', '.join(sorted(caps.thinking_types))})",
        )
    return ttype


def _check_budget_over_max(
    bt: int,
    mt: int,
    tools: bool,
    caps: ModelCapabilities | None,
    betas: tuple[str, ...] | None,
    out: Collector,
) -> None:
    """D8, budget_tokens >= max_tokens: allowed only with interleaved thinking and tools. Interleaving
    needs the interleaved-thinking beta on manual-thinking models ("beta"); adaptive models interleave
    by themselves ("auto"); some models ignore the beta ("none")."""
    msg = f"budget_tokens {bt} >= max_tokens {mt}"
    where = "thinking.enabled.budget_tokens"
    if not tools:
        out.add("thinking_budget", where, msg)
        return
    mode = caps.interleaved if caps is not None else None
    if betas is None or mode is None or mode == "auto":  # cannot tell whether interleaving is on
        out.add("thinking_budget", where, f"{msg} (allowed only with interleaved thinking)", "warning")
        return
    beta = any(b.startswith(INTERLEAVED_BETA_PREFIX) for b in betas)
    if not beta:
        out.add("thinking_budget", where, f"{msg} and no {INTERLEAVED_BETA} beta")
    elif mode == "none":
        out.add(
            "thinking_budget", where, f"{msg}; {caps.family} ignores the {INTERLEAVED_BETA} beta", "warning"
        )


def check_body_size(size: int, out: Collector) -> None:
    """request_too_large, first of the findings: the API refuses the body (413) before reading it."""
    if size > REQUEST_BYTES_MAYBE:
        over = size > REQUEST_BYTES_MAX
        limit = "32 MiB (33,554,432 bytes)" if over else "32,000,000 bytes"
        out.add(
            "request_too_large", "", f"body is {size:,} bytes, above {limit}", None if over else "warning"
        )
        out.items.insert(0, out.items.pop())


def count_system_cache(system: Any) -> int:
    if isinstance(system, list):
        return sum(1 for b in system if isinstance(b, dict) and b.get("cache_control"))
    return 0


def check_cache_limit(shape: Shape, explicit: int, auto: bool, out: Collector) -> None:
    shape.cache_control_count = explicit + (1 if auto else 0)
    if explicit > CACHE_CONTROL_MAX:
        out.add("cache_control_limit", "", f"{explicit} blocks carry cache_control (max {CACHE_CONTROL_MAX})")
    elif explicit + (1 if auto else 0) > CACHE_CONTROL_MAX:
        out.add(
            "cache_control_limit",
            "cache_control",
            f"{explicit} cache_control blocks plus top-level automatic caching exceed {CACHE_CONTROL_MAX}",
            "warning",
        )


def check_history_vs_tools(res: WalkResult, tools: ToolsInfo, out: Collector, thread: bool) -> None:
    """B1, B2, G1, E5: what the history references must be defined in tools[]."""
    if res.has_tool_blocks and not tools.present:
        if not thread:
            out.add(
                "tools_required_for_tool_blocks",
                "tools",
                "messages hold tool_use/tool_result blocks but no tools",
            )
        return
    if not tools.present or tools.opaque or res.tool_changes:
        return  # tools in effect cannot be enumerated
    names = tools.names
    unknown_refs: dict[Any, str] = {}
    for name, path in res.tool_refs:
        if name is not None and name not in names and name not in unknown_refs:
            unknown_refs[name] = path
    for name, path in unknown_refs.items():
        out.add("tool_reference_unknown", path, f"tool_reference {safe_name(name)} is not in tools[]")
    missing: dict[Any, str] = {}
    for name, i, j in res.history_tool_names:
        if name is not None and name not in names and name not in missing:
            missing[name] = f"messages.{i}.content.{j}"
    if missing:
        first = next(iter(missing.values()))
        out.add(
            "tool_use_name_not_in_tools",
            first,
            f"tool_use names {fmt_ids(safe_name(n) for n in missing)} are not in tools[]",
        )
    for sname in res.server_names:
        if not isinstance(sname, str):
            continue
        need = _SUB_TOOLS.get(sname, sname)
        if need not in names:
            out.add(
                "server_tool_missing_from_tools",
                "tools",
                f"history holds {safe_name(sname)} server tool blocks"
                f" but tools[] has no {safe_name(need)} tool",
            )
