"""Which URLs are Messages API calls: first-party, Bedrock, Vertex, and configured extra base URLs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["Match", "Matcher"]

_BEDROCK = re.compile(r"^/model/[^/]+/invoke(-with-response-stream)?$")
_VERTEX = re.compile(
    r"^/v1(?:beta1)?/projects/[^/]+/locations/[^/]+/publishers/anthropic/models/([^/:]+):(\w+)$"
)
_FIRST_PARTY_HOSTS = ("api.anthropic.com",)
_CACHED_PATH_MAX = 512  # a longer path (a proxy's client chooses it) is matched, never remembered


@dataclass(frozen=True, slots=True)
class Match:
    endpoint: str  # "messages" | "count_tokens"
    provider: str  # "anthropic" | "bedrock" | "vertex"


class Matcher:
    """``match(host, path)`` -> Match or None. Pure; no I/O."""

    def __init__(self, extra_base_urls: tuple[str, ...] = (), provider: str = "auto") -> None:
        self._provider = provider
        self._prefixes: list[tuple[str, str]] = []  # (host[:port], path prefix)
        for url in extra_base_urls:
            rest = url.split("://", 1)[-1]
            host, _, path = rest.partition("/")
            self._prefixes.append((host.lower(), ("/" + path).rstrip("/")))
        # a process talks to few (host, port, path) triples: remember the answers (bounded)
        self._cached = lru_cache(maxsize=1024)(self._match)

    def match(self, method: bytes | str, host: str, port: int | None, path: str) -> Match | None:
        if method not in (b"POST", "POST"):
            return None
        if len(path) > _CACHED_PATH_MAX or len(host) > _CACHED_PATH_MAX:  # bounded in bytes, not only entries
            return self._match(host, port, path)
        return self._cached(host, port, path)

    def _match(self, host: str, port: int | None, path: str) -> Match | None:
        host = host.lower()
        hostport = f"{host}:{port}" if port else host
        # 1. first-party and any configured base URL: <prefix>/v1/messages[/count_tokens]
        prefixes = [""] if host in _FIRST_PARTY_HOSTS else []
        for phost, ppath in self._prefixes:
            if phost in (host, hostport):
                prefixes.append(ppath)
        for prefix in prefixes:
            if path.startswith(prefix):
                endpoint = _messages_endpoint(path[len(prefix) :])
                if endpoint:
                    return Match(endpoint, self._pick("anthropic"))
        # 2. Bedrock runtime and Vertex AI Anthropic endpoints
        if host.startswith("bedrock-runtime.") and host.endswith(".amazonaws.com"):
            if _BEDROCK.match(path):
                return Match("messages", self._pick("bedrock"))
            return None
        if host.endswith("aiplatform.googleapis.com"):
            m = _VERTEX.match(path)
            if m:
                model, verb = m.group(1), m.group(2)
                if model == "count-tokens" or verb == "countTokens":
                    return Match("count_tokens", self._pick("vertex"))
                if verb in ("rawPredict", "streamRawPredict"):
                    return Match("messages", self._pick("vertex"))
        return None

    def _pick(self, detected: str) -> str:
        return detected if self._provider == "auto" else self._provider


def _messages_endpoint(path: str) -> str | None:
    if path in ("/v1/messages", "/v1/messages/"):
        return "messages"
    if path in ("/v1/messages/count_tokens", "/v1/messages/count_tokens/"):
        return "count_tokens"
    return None
