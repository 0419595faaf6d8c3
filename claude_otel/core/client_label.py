"""The bounded client-surface label, from a request's User-Agent (pure; no I/O).

Used as the ``client`` label of ``claude_otel_requests_total`` by the proxy and the in-process
instrumentation alike, so a dashboard can split 400s by the surface that sent them.
"""

from __future__ import annotations

import re

CLIENT_LABELS: tuple[str, ...] = (
    "claude-code",
    "claude-agent-sdk",
    "anthropic-sdk-python",
    "anthropic-sdk-typescript",
    "anthropic-sdk-go",
    "anthropic-sdk-java",
    "curl",
    "other",
)

# Claude Code sends `claude-cli/<version> (external, <entrypoint>)`: entrypoint `cli` interactive,
# `sdk-cli` for `claude -p`, `claude-vscode` etc. for IDE extensions. The Agent SDKs run the same CLI with
# entrypoint `sdk-ts` / `sdk-py` (and may append `agent-sdk/<version>`).
_AGENT_SDK_ENTRYPOINTS = frozenset({"sdk-ts", "sdk-py"})
_CLAUDE_CLI = re.compile(
    r"^claude-cli/(?P<version>[0-9][0-9A-Za-z.+-]{0,31})(?:\s*\((?P<extra>[^)]{0,200})\))?"
)
# The SDKs send `<client class>/<language> <version>`: Anthropic, AsyncAnthropic, AnthropicBedrock, ...
_ANTHROPIC_SDK = re.compile(
    r"^(?:Async)?Anthropic(?:Bedrock|Vertex|Foundry)?/(?P<lang>[A-Za-z#]+)\s+(?P<version>[0-9][0-9A-Za-z.+-]{0,31})"
)
_CURL = re.compile(r"^curl/(?P<version>[0-9][0-9A-Za-z.+-]{0,31})")
_SDK_LANGS: dict[str, str] = {
    "python": "anthropic-sdk-python",
    "js": "anthropic-sdk-typescript",
    "typescript": "anthropic-sdk-typescript",
    "node": "anthropic-sdk-typescript",
    "go": "anthropic-sdk-go",
    "java": "anthropic-sdk-java",
    "kotlin": "anthropic-sdk-java",
}
_VERSION_OK = re.compile(r"^[0-9]{1,6}(?:\.[0-9]{1,6}){0,3}(?:[-+][0-9A-Za-z.]{1,16})?$")


def client_label(user_agent: str | None) -> str:
    """Map a User-Agent to one of ``CLIENT_LABELS`` (never anything else)."""
    return parse_user_agent(user_agent)[0]


def client_version(user_agent: str | None) -> str | None:
    """The client's version when the User-Agent carries a well-formed one, else None (for span attributes,
    never for metric labels)."""
    return parse_user_agent(user_agent)[1]


def parse_user_agent(user_agent: str | None) -> tuple[str, str | None]:
    """(label, version or None). The label is always in ``CLIENT_LABELS``."""
    if not user_agent or not isinstance(user_agent, str):
        return "other", None
    ua = user_agent.strip()[:512]
    m = _CLAUDE_CLI.match(ua)
    if m:
        extra = (m.group("extra") or "").lower()
        parts = [p.strip() for p in extra.split(",")]
        agent_sdk = any(p in _AGENT_SDK_ENTRYPOINTS or p.startswith("agent-sdk/") for p in parts)
        label = "claude-agent-sdk" if agent_sdk else "claude-code"
        return label, _version(m.group("version"))
    m = _ANTHROPIC_SDK.match(ua)
    if m:
        label = _SDK_LANGS.get(m.group("lang").lower())
        if label:
            return label, _version(m.group("version"))
        return "other", None
    m = _CURL.match(ua)
    if m:
        return "curl", _version(m.group("version"))
    return "other", None


def _version(raw: str | None) -> str | None:
    if raw and _VERSION_OK.match(raw):
        return raw
    return None
