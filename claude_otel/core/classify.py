"""Error-response classifier: maps the body of a Messages API error to a category from a fixed set.

Input is whatever came back: the API's own JSON error, the same wrapped by Vertex AI, Bedrock,
OpenRouter (``metadata.raw``), LiteLLM (``AnthropicException - b'{...}'``), GitHub Copilot, the Python
SDK's ``Error code: 400 - {...}`` string, Claude Code's rewritten ``API Error: 400 ...`` lines, or the data
payload of a mid-stream SSE ``event: error``. The envelope is unwrapped, the message normalised
(backticks, JSON escapes, quotes and all whitespace removed, lower-cased, so that Markdown rendering and
terminal line wraps do not matter) and matched against one precompiled regular expression.

Categories are the rule ids of ../shared/reference/anthropic-shape-rules.md wherever a rule exists, plus
400s that cannot be predicted offline, the non-400 families and ``unclassified`` (see CATEGORY_INFO).
``classify_error`` never raises.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any

import orjson

# One line per category; the `rules` command prints these. Keep in sync with _PATTERNS below.
CATEGORY_INFO: dict[str, str] = {
    # A. client tool_use / tool_result pairing
    "tool_result_missing": "400: tool_use ids without tool_result blocks at the start of the next user "
    "message (also text placed before the results, Claude Code's 'tool use concurrency issues')",
    "tool_result_orphan": "400: a tool_result names a tool_use_id absent from the previous assistant message",
    "tool_result_duplicate": "400: more than one tool_result for the same tool_use_id",
    "tool_use_id_duplicate": "400: the same tool_use id appears twice in the request",
    "tool_result_in_assistant": "400: a tool_result block sits in an assistant message",
    "tool_use_in_user": "400: a tool_use block sits in a user message",
    "tool_result_field_missing": "400: tool_result.tool_use_id or tool_use id/name/input missing",
    "tool_result_empty_error": "400: a tool_result with is_error true has empty content",
    "tool_use_input_not_object": "400: tool_use.input is not a JSON object",
    "block_extra_fields": "400: a content block carries a field its type does not accept "
    "(streaming leftovers)",
    # B. tool definitions and tool_choice
    "tools_required_for_tool_blocks": "400: tool_use/tool_result blocks in messages but no tools defined",
    "tool_name_pattern": "400: a tool name does not match ^[a-zA-Z0-9_-]{1,128}$",
    "tool_use_id_pattern": "400: a tool_use id (or tool_use_id) does not match ^[a-zA-Z0-9_-]+$",
    "tool_input_schema_invalid": "400: a custom tool's input_schema is missing or not valid JSON Schema",
    "strict_schema_not_closed": "400: a strict schema object lacks additionalProperties: false",
    "tool_choice_shape": "400: tool_choice is not an object of type auto/any/tool/none (or not allowed)",
    "beta_field_not_enabled": "400: a beta-only field (defer_loading, context_management, ...) sent "
    "without its beta header",
    # C. roles, empty content, prefill
    "role_invalid": "400: a message role the model does not accept (system where it is not allowed)",
    "first_message_not_user": "400: the first message is not a user message (legacy, Bedrock)",
    "consecutive_same_role": "400: roles do not alternate (legacy 1P, Bedrock Converse)",
    "message_content_empty": "400: a message other than the final assistant one has empty content",
    "text_block_empty": "400: a text block is empty or whitespace only",
    "prefill_trailing_whitespace": "400: the final assistant (prefill) text ends with whitespace",
    "prefill_unsupported": "400: the model does not accept a final assistant message (prefill)",
    # D. extended thinking
    "thinking_missing_in_tool_loop": "400: thinking enabled but the tool-loop assistant message does not "
    "start with its thinking block",
    "thinking_not_first": "400: thinking blocks are not the first blocks of their assistant message",
    "thinking_modified": "400: thinking blocks of the latest assistant message differ from the response",
    "thinking_signature_invalid": "400: a thinking signature or redacted_thinking data is not the original",
    "thinking_field_missing": "400: a thinking block lacks its thinking or signature field",
    "thinking_in_final_when_disabled": "400: thinking disabled but the final "
    "assistant message holds thinking",
    "thinking_final_block": "400: an assistant message ends with a thinking block",
    "thinking_budget": "400: budget_tokens below 1024 or not below max_tokens",
    "thinking_forced_tool_choice": "400: thinking combined with tool_choice any/tool",
    "thinking_sampling_params": "400: temperature other than 1 with thinking enabled",
    "thinking_type_unsupported": "400: thinking type (enabled/adaptive) or effort not supported by the model",
    # E. server tools
    "server_tool_id_pattern": "400: a server_tool_use id does not match ^srvtoolu_[a-zA-Z0-9_]+$",
    "server_tool_name_invalid": "400: server_tool_use.name is not a known server tool",
    "server_tool_result_orphan": "400: a *_tool_result server block without its server_tool_use before it",
    "server_tool_use_without_result": "400: a non-final server_tool_use has no result block",
    "encrypted_content_modified": "400: encrypted content of a server-tool result was altered",
    # F, G. containers, deferred tools
    "container_required": "400: pending code-execution tool uses but no container id sent",
    "tool_reference_unknown": "400: a tool_reference names a tool absent from tools[]",
    "all_tools_deferred": "400: every tool has defer_loading true",
    # H. cache_control, limits, generic validation
    "cache_control_limit": "400: more than 4 blocks with cache_control",
    "cache_control_on_thinking": "400: cache_control set on a thinking block",
    "image_too_large": "400: an image exceeds 5 MB (or Claude Code's 'Image was too large')",
    "image_dimensions_many_image": "400: image dimensions exceed the many-image limit (2000 px)",
    "pdf_invalid": "400: a PDF has too many pages, is password protected or is not valid",
    "max_tokens_exceeds_model": "400: max_tokens above the model's output cap",
    "prompt_too_long": "400: the prompt exceeds the context window",
    "context_overflow_with_max_tokens": "400: input tokens plus max_tokens exceed the context window",
    "invalid_model": "400: the model name is not valid for this endpoint",
    "extra_inputs": "400: a field the API does not accept (Extra inputs are not permitted)",
    "field_required": "400: a required field is missing (Field required)",
    "union_tag_invalid": "400: an unknown 'type' tag (block or tool type not accepted here)",
    "invalid_request_other": "400 invalid_request_error whose message matches no known pattern",
    # non-400 families
    "rate_limit": "429 rate_limit_error (or a provider throttling error)",
    "overloaded": "529 overloaded_error, also mid-stream 'event: error'",
    "server_error": "500/5xx api_error",
    "authentication": "401 authentication_error",
    "permission": "403 permission_error",
    "not_found": "404 not_found_error (unknown model or endpoint)",
    "billing": "billing_error / 402, or a 400 saying the credit balance is too low",
    "request_too_large": "413 request_too_large (body above the 32 MB limit)",
    "timeout": "timeout_error, 408/504, or a client-side timeout",
    "connection": "no HTTP response: connection refused/reset/closed",
    "unclassified": "nothing recognisable: no status, no error type, no known message",
}

CATEGORIES: tuple[str, ...] = tuple(CATEGORY_INFO)

# Message patterns, in priority order (specific before generic): the first that matches wins. They run
# on the "squashed" text: lower case, with whitespace, backticks, quotes and backslashes removed, so
# write them that way (spaces in the pattern sources below are removed before compiling; they are there
# for legibility only).
_PATTERNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "tool_result_missing",
        (
            r"tool_use ids were found without tool_result blocks immediately after",
            r"did not find \d+ tool_result block\(s\) at the beginning",
            r"due to tool use concurrency issues",
        ),
    ),
    (
        "server_tool_result_orphan",
        (r"unexpected tool_use_id found in (?!tool_result blocks)\w+_tool_result blocks",),
    ),
    (
        "tool_result_orphan",
        (
            r"unexpected tool_use_id found in tool_result blocks",
            r"orphaned tool_result in conversation history",
        ),
    ),
    ("server_tool_use_without_result", (r"tool use with id [\w-]+ was found without a corresponding",)),
    (
        "tool_use_id_duplicate",
        (r"tool_use ids must be unique", r"duplicate tool_use id in conversation history"),
    ),
    (
        "tool_result_duplicate",
        (r"each tool_use must have a single result", r"found multiple tool_result blocks with id"),
    ),
    ("tool_result_in_assistant", (r"tool_result blocks can only be in user messages",)),
    ("tool_use_in_user", (r"tool_use blocks can only be in assistant messages",)),
    (
        "tools_required_for_tool_blocks",
        (
            r"requests which include tool_use or tool_result blocks must define tools",
            r"toolconfig field must be defined when using the tooluse and toolresult",
        ),
    ),
    ("thinking_field_missing", (r"\.thinking \. (signature|thinking) : field required",)),
    (
        "tool_result_field_missing",
        (r"tool_result \. tool_use_id : field required", r"\.tool_use \. (id|name|input) : field required"),
    ),
    ("tool_result_empty_error", (r"content cannot be empty if is_error is true",)),
    ("tool_use_input_not_object", (r"tool_use \. input : input should be a valid dict",)),
    ("server_tool_id_pattern", (r"server_tool_use \. id : string should match pattern", r"\^srvtoolu_")),
    (
        "tool_use_id_pattern",
        (r"tool_use \. id : string should match pattern", r"tool_use_id : string should match pattern"),
    ),
    ("server_tool_name_invalid", (r"server_tool_use \. name : input should be",)),
    ("tool_name_pattern", (r"tools \. \d+ \. \w+ \. name : string should (match pattern|have at most)",)),
    (
        "tool_input_schema_invalid",
        (
            r"input_schema : (field required|json schema is invalid|input_schema does not support)",
            r"property keys should match pattern",
        ),
    ),
    ("strict_schema_not_closed", (r"additionalproperties must be explicitly set to false",)),
    (
        "tool_choice_shape",
        (
            r"tool_choice : (input tag|input should be)",
            r"tool_choice : type tool and any are not supported",
        ),
    ),
    (
        "thinking_missing_in_tool_loop",
        (r"expected thinking or redacted_thinking , but found", r"must start with a thinking block"),
    ),
    ("thinking_not_first", (r"the first block must be thinking or redacted_thinking",)),
    (
        "thinking_modified",
        (r"blocks in the latest assistant message cannot be modified",),
    ),
    (
        "thinking_signature_invalid",
        (r"invalid signature in thinking block", r"invalid data in redacted_thinking block"),
    ),
    (
        "thinking_in_final_when_disabled",
        (r"when thinking is disabled , an assistant message in the final position cannot contain thinking",),
    ),
    ("thinking_final_block", (r"final block in an assistant message cannot be thinking",)),
    (
        "thinking_budget",
        (
            r"max_tokens must be greater than thinking \. budget_tokens",
            r"budget_tokens : input should be greater than or equal to",
        ),
    ),
    ("thinking_forced_tool_choice", (r"thinking may not be enabled when tool_choice forces tool use",)),
    ("thinking_sampling_params", (r"temperature may only be set to 1 when thinking is enabled",)),
    (
        "thinking_type_unsupported",
        (
            r"thinking \. type \. (enabled|adaptive|disabled) is not supported",
            r"adaptive thinking is not supported on this model",
            r"effort \w+ is not supported when thinking is disabled",
        ),
    ),
    ("cache_control_on_thinking", (r"\. thinking \. cache_control : (extra inputs|additional input)",)),
    (
        "beta_field_not_enabled",
        (
            r"(defer_loading|input_examples|allowed_callers|eager_input_streaming|context_management|mcp_servers"
            r"|skills|scope) : (extra inputs are not permitted|additional input is not allowed)",
        ),
    ),
    (
        "block_extra_fields",
        (
            r"messages \. \d+ \. content \. \d+ \. (?!thinking \. cache_control :)[\w.]+ :"
            r"(extra inputs are not permitted|additional input)",
        ),
    ),
    ("container_required", (r"container_id is required when there are pending tool uses",)),
    ("tool_reference_unknown", (r"tool reference [^\s]{1,300}? not found in available tools",)),
    (
        "all_tools_deferred",
        (r"at least one tool must have defer_loading = false", r"all tools cannot be deferred"),
    ),
    ("cache_control_limit", (r"a maximum of \d+ blocks with cache_control may be provided",)),
    ("role_invalid", (r"use the top-level system parameter", r"role system (is not supported|must precede)")),
    ("first_message_not_user", (r"first message must use the user role",)),
    (
        "consecutive_same_role",
        (r"roles must alternate", r"conversation must alternate between user and assistant"),
    ),
    ("message_content_empty", (r"all messages must have non-empty content",)),
    ("text_block_empty", (r"text content blocks must (be non-empty|contain non-whitespace text)",)),
    ("prefill_trailing_whitespace", (r"final assistant content cannot end with trailing whitespace",)),
    ("prefill_unsupported", (r"does not support assistant message prefill",)),
    (
        "context_overflow_with_max_tokens",
        (r"input length and max_tokens exceed context limit",),
    ),
    ("prompt_too_long", (r"prompt is too long",)),
    ("max_tokens_exceeds_model", (r"max_tokens : \d+ > \d+ , which is the maximum allowed",)),
    (
        "image_too_large",
        (r"image exceeds \d+ mb maximum", r"image was too large"),
    ),
    ("image_dimensions_many_image", (r"image dimensions exceed",)),
    (
        "pdf_invalid",
        (
            r"maximum of \d+ pdf pages",
            r"the pdf specified (is password protected|was not valid)",
            r"pdf too large",
        ),
    ),
    (
        "encrypted_content_modified",
        (r"invalid encrypted_(content|index|stdout)", r"failed to decrypt web search result content"),
    ),
    ("invalid_model", (r"invalid model name",)),
    ("request_too_large", (r"request too large for the api", r"request_too_large")),
    ("not_found", (r"there is an issue with the selected model", r"theres an issue with the selected model")),
    ("union_tag_invalid", (r"input tag [^\s]{1,200}? found using type does not match",)),
    ("extra_inputs", (r": (extra inputs are not permitted|additional input is not allowed)",)),
    ("field_required", (r": field required",)),
    ("billing", (r"credit balance is too low",)),  # sent as a 400 invalid_request_error
    ("rate_limit", (r"throttlingexception", r"resource_exhausted", r"rate limit exceeded")),
    ("overloaded", (r"overloaded_error", r"serviceunavailableexception")),
    ("permission", (r"accessdeniedexception",)),
    ("timeout", (r"modeltimeoutexception",)),
)

# Only consulted when there is no HTTP status and no API error type (client-side failures).
_TRANSPORT_PATTERNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "timeout",
        (
            r"timed out",
            r"timeout",
            r"deadlineexceeded",
        ),
    ),
    (
        "connection",
        (
            r"connection (error|refused|reset|aborted|closed)",
            r"connecterror",
            r"remoteprotocolerror",
            r"econnrefused",
            r"econnreset",
            r"socket hang up",
            r"server disconnected",
            r"incomplete chunked read",
            r"peer closed connection",
            r"name or service not known",
        ),
    ),
)


def _compile(table: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple[tuple[re.Pattern[str], str], ...]:
    # One regex per pattern, searched in priority order: CPython's `re` scans for a literal prefix fast,
    # which a single big alternation would defeat (measured: ~100 times slower on long messages).
    return tuple((re.compile(p.replace(" ", "")), category) for category, patterns in table for p in patterns)


_MESSAGE_PATTERNS = _compile(_PATTERNS)
_TRANSPORT = _compile(_TRANSPORT_PATTERNS)

_ERROR_TYPE_CATEGORY: dict[str, str] = {
    "invalid_request_error": "invalid_request_other",
    "authentication_error": "authentication",
    "permission_error": "permission",
    "not_found_error": "not_found",
    "rate_limit_error": "rate_limit",
    "timeout_error": "timeout",
    "overloaded_error": "overloaded",
    "api_error": "server_error",
    "billing_error": "billing",
    "request_too_large": "request_too_large",
}

_STATUS_CATEGORY: dict[int, str] = {
    400: "invalid_request_other",
    401: "authentication",
    402: "billing",
    403: "permission",
    404: "not_found",
    408: "timeout",
    413: "request_too_large",
    429: "rate_limit",
    504: "timeout",
    529: "overloaded",
}

_MAX_TEXT = 256 * 1024  # bytes of input looked at (error bodies are small; proxies' HTML pages too)
_MAX_MATCH = 16 * 1024  # characters of squashed text matched
_MAX_MESSAGE = 2000  # characters of the normalised message kept
_MAX_DEPTH = 6  # envelope nesting unwrapped

_SQUASH = str.maketrans("", "", " \t\r\n\f\v`'\"\\")
_ESCAPES_RE = re.compile(r"\\+(?:u00(?:60|27|22)|[nrtf])")
_WS_RE = re.compile(r"\s+")
_REQUEST_ID_RE = re.compile(r"\breq_[A-Za-z0-9_]{8,120}")
_STATUS_TEXT_RE = re.compile(
    r"(?:API Error:?|Error code:?|status[_ ]?code[\"']?\s*[:=]|HTTP/\d(?:\.\d)?|\bcode[\"']?\s*:)"
    r"\s*[\"']?([1-5]\d\d)\b",
    re.IGNORECASE,
)
_EXCEPTION_STATUS: dict[str, int] = {  # SDK / LiteLLM exception class names
    "BadRequestError": 400,
    "AuthenticationError": 401,
    "PermissionDeniedError": 403,
    "NotFoundError": 404,
    "RequestTooLargeError": 413,
    "RateLimitError": 429,
    "InternalServerError": 500,
    "OverloadedError": 529,
}
_EXCEPTION_RE = re.compile(r"\b(" + "|".join(_EXCEPTION_STATUS) + r")\b")
_SSE_DATA_RE = re.compile(r"^data:[ \t]?(.*)$", re.MULTILINE)
_SSE_EVENT_RE = re.compile(r"^event:[ \t]?error[ \t]*\r?$", re.MULTILINE)
_BEDROCK_RE = re.compile(r"the model returned the following errors:\s*", re.IGNORECASE)
# anthropic >= 2.17 str(exc): "429 <error.message> (error_code: X, request_id: req_.., path: /v1/messages,
# type: rate_limit_error)", optionally followed by a blank line and error.details as JSON; an exception's
# traceback line puts "anthropic.RateLimitError: " before it
_SDK2_ITEMS = r"(?:error_code|request_id|path|type): [^,()\n]*"
_SDK2_RE = re.compile(
    r"(?:^|:[ \t])[ \t]*([1-5]\d\d) (.*?) \(("
    + _SDK2_ITEMS
    + r"(?:, "
    + _SDK2_ITEMS
    + r")*)\)[ \t]*(?:\n|$)",
    re.DOTALL | re.MULTILINE,
)


@dataclass(frozen=True, slots=True)
class Classification:
    family: str  # "4xx" | "5xx" | "2xx" (mid-stream error event) | "none" (no HTTP status)
    status: int | None
    error_type: str | None  # API error.type, e.g. "invalid_request_error"
    category: str  # one of CATEGORIES
    request_id: str | None
    message: str | None  # the API's message, normalised (not exported to metrics)

    def as_dict(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "status": self.status,
            "error_type": self.error_type,
            "category": self.category,
            "request_id": self.request_id,
            "message": self.message,
        }


class _Found:
    """What the unwrapping collected from the envelopes."""

    __slots__ = ("error_type", "message", "mid_stream", "request_id", "status")

    def __init__(self) -> None:
        self.error_type: str | None = None
        self.message: str | None = None
        self.request_id: str | None = None
        self.status: int | None = None
        self.mid_stream = False


def classify_error(body: bytes | str | None, status: int | None = None) -> Classification:
    """Classify an error response body (any envelope) and/or HTTP status. Never raises."""
    status = _coerce_status(status)
    try:
        return _classify(body, status)
    except Exception:  # the classifier must never raise into the application
        return Classification(_family(status, False), status, None, _status_category(status), None, None)


def _classify(body: bytes | str | None, status: int | None) -> Classification:
    text = _to_text(body)
    found = _Found()
    if text:
        text = _unwrap_sse(text, found)
        text = _unwrap_sdk2(text, found)
        _unwrap(text, found, 0)
        if found.request_id is None:
            m = _REQUEST_ID_RE.search(text[:_MAX_MATCH])
            if m:
                found.request_id = m.group(0)
        if found.status is None and status is None:  # the caller's status needs no guessing
            m = _STATUS_TEXT_RE.search(text[:4096])
            if m:
                found.status = int(m.group(1))
            else:
                m = _EXCEPTION_RE.search(text[:4096])
                if m:
                    found.status = _EXCEPTION_STATUS[m.group(1)]
    if status is None and found.status is not None and not found.mid_stream:
        status = found.status
    # an error event inside a stream: the HTTP status (if the caller knows it) was a 2xx
    mid_stream = (status is not None and 200 <= status < 300) or (found.mid_stream and status is None)
    message = found.message if found.message is not None else (text.strip() if text else None)
    message = _display(message) if message else None

    category = _match(_MESSAGE_PATTERNS, message) if message else None
    if category is None and text and found.message is not None:
        category = _match(_MESSAGE_PATTERNS, text)  # the envelope around the message
    type_category = _ERROR_TYPE_CATEGORY.get(found.error_type or "")
    status_category = None if mid_stream else _status_category(status)
    if status_category is not None and status_category != "invalid_request_other":
        # a non-400 HTTP status is authoritative: the family is known, the message is secondary
        if type_category is not None and type_category != "invalid_request_other":
            category = type_category
        else:
            category = status_category
    elif category is None:
        category = type_category or status_category
    if category is None and text and status is None and found.error_type is None:
        category = _match(_TRANSPORT, text)
    return Classification(
        family=_family(status, mid_stream),
        status=status,
        error_type=found.error_type,
        category=category or "unclassified",
        request_id=found.request_id,
        message=message,
    )


def _coerce_status(status: object) -> int | None:
    if status is None or isinstance(status, bool):
        return None
    try:
        value = int(status)  # type: ignore[call-overload]
    except (TypeError, ValueError, OverflowError):
        return None
    return value if 100 <= value <= 599 else None


def _family(status: int | None, mid_stream: bool) -> str:
    if mid_stream:
        return "2xx"
    if status is None:
        return "none"
    return f"{status // 100}xx"


def _status_category(status: int | None) -> str | None:
    if status is None:
        return None
    if status in _STATUS_CATEGORY:
        return _STATUS_CATEGORY[status]
    if 500 <= status < 600:
        return "server_error"
    return None


def _to_text(body: bytes | str | None) -> str:
    if body is None:
        return ""
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body[:_MAX_TEXT]).decode("utf-8", "replace")
    if isinstance(body, str):
        return body[:_MAX_TEXT]
    return ""


def _unwrap_sse(text: str, found: _Found) -> str:
    """Server-sent events: keep the data of the error event (or the first data line typed "error")."""
    head = text.lstrip()
    if not (head.startswith("event:") or head.startswith("data:")):
        return text
    datas = _SSE_DATA_RE.findall(text)
    if _SSE_EVENT_RE.search(text):
        found.mid_stream = True
        # the data line following the `event: error` line
        after = text[_SSE_EVENT_RE.search(text).end() :]  # type: ignore[union-attr]
        m = _SSE_DATA_RE.search(after)
        if m:
            return m.group(1)
    for data in datas:
        if '"error"' in data:
            found.mid_stream = True
            return data
    return "\n".join(datas) if datas else text


def _unwrap_sdk2(text: str, found: _Found) -> str:
    """anthropic >= 2.17's exception text: the status, the message, then (request_id: ..., type: ...)."""
    m = _SDK2_RE.search(text[:_MAX_MATCH])
    if m is None:
        return text
    found.status = int(m.group(1))
    for item in m.group(3).split(", "):
        key, _, value = item.partition(": ")
        value = value.strip()
        if key == "request_id" and value:
            found.request_id = value[:200]
        elif key == "type" and (value.endswith("_error") or value == "request_too_large"):
            found.error_type = value
    message = m.group(2).strip()
    if message == "status code (no body)":
        return ""
    return message


def _unwrap(text: str, found: _Found, depth: int) -> None:
    """Walk nested envelopes (JSON, JSON in strings, bytes/dict reprs), filling `found`."""
    if depth >= _MAX_DEPTH or not text:
        return
    obj = _parse_embedded(text)
    if isinstance(obj, dict):
        inner = _from_dict(obj, found)
        if inner is not None:
            found.message = inner
            _unwrap(inner, found, depth + 1)
        return
    m = _BEDROCK_RE.search(text[:_MAX_MATCH])
    if m:
        found.message = text[m.end() :]
    if found.status is None and "ValidationException" in text[:_MAX_MATCH]:
        found.status = 400


def _from_dict(obj: dict, found: _Found) -> str | None:
    """Read one envelope level; return the inner message text to look into next (or None)."""
    rid = obj.get("request_id")
    if isinstance(rid, str) and found.request_id is None:
        found.request_id = rid[:200]
    err = obj.get("error")
    if isinstance(err, dict):
        etype = err.get("type")
        if isinstance(etype, str) and (etype.endswith("_error") or etype == "request_too_large"):
            found.error_type = etype
        raw_code = err.get("code")
        code = 400 if raw_code == "invalid_request_body" else _coerce_status(raw_code)
        if code is not None and found.status is None:
            found.status = code
        meta = err.get("metadata")
        if isinstance(meta, dict) and isinstance(meta.get("raw"), str):  # OpenRouter
            return meta["raw"]
        msg = err.get("message")
        if isinstance(msg, str):
            return msg
        return None
    if isinstance(err, str):
        return err
    msg = obj.get("message") or obj.get("Message") or obj.get("detail")
    if isinstance(msg, str):  # GitHub Copilot CAPI, Bedrock {"message": ...}
        code = obj.get("code")
        if found.status is None and code == "invalid_request_body":
            found.status = 400
        return msg
    return None


def _parse_embedded(text: str) -> Any:
    """The JSON object in `text`: the whole text, or the outermost {...} inside it (LiteLLM, SDK repr)."""
    stripped = text.strip()
    if not stripped:
        return None
    if stripped[0] == "{":
        try:
            return orjson.loads(stripped)
        except orjson.JSONDecodeError:
            pass
    start = stripped.find("{")
    end = stripped.rfind("}")
    if start < 0 or end <= start:
        return None
    sub = stripped[start : end + 1]
    try:
        return orjson.loads(sub)
    except orjson.JSONDecodeError:
        pass
    # LiteLLM prints the body as a Python bytes literal: b'{...}' (backslashes doubled, \' escaped)
    if stripped[start - 2 : start] == "b'" or "\\\\" in sub or "\\'" in sub:
        try:
            return orjson.loads(sub.replace("\\'", "'").replace("\\\\", "\\"))
        except orjson.JSONDecodeError:
            pass
    # The Python SDK's str(exc): "Error code: 400 - {'type': 'error', ...}" (a dict repr)
    if len(sub) <= _MAX_MATCH and "'" in sub:
        try:
            value = ast.literal_eval(sub)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return None
        return value if isinstance(value, dict) else None
    return None


def _display(message: str) -> str:
    """The message for people: backticks and JSON escapes gone, whitespace collapsed, length capped."""
    message = _ESCAPES_RE.sub(" ", message[: _MAX_MESSAGE * 4]).replace("`", "").replace('\\"', '"')
    message = _WS_RE.sub(" ", message).strip()
    return message[:_MAX_MESSAGE]


def _match(patterns: tuple[tuple[re.Pattern[str], str], ...], text: str) -> str | None:
    squashed = _ESCAPES_RE.sub("", text[: _MAX_MATCH * 2]).translate(_SQUASH).lower()[:_MAX_MATCH]
    for regex, category in patterns:
        if regex.search(squashed):
            return category
    return None
