"""Configuration: keyword arguments, else ``CLAUDE_OTEL_*`` environment variables, else defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

__all__ = ["ENV_VARS", "Config", "ConfigError"]

PROVIDERS = ("auto", "anthropic", "bedrock", "vertex")
ANALYSIS_MODES = ("overlap", "inline")


class ConfigError(ValueError):
    """A configuration value that cannot be used (named in the message)."""


@dataclass(frozen=True)
class Config:
    guard: bool = False
    max_body_bytes: int = 32 * 1024 * 1024
    extra_base_urls: tuple[str, ...] = ()
    provider: str = "auto"
    use_global_registry: bool = False
    registry: Any = None
    tracer_provider: Any = None
    meter_provider: Any = None
    logger_provider: Any = None
    state_max_entries: int = 10_000
    state_ttl_seconds: float = 3600.0
    observe_responses: bool = True
    max_error_body_bytes: int = 256 * 1024
    # "overlap": analyse the request body on a background thread while the request is on the wire,
    # collect the result in the response hook; "inline": analyse in the request hook. guard=True
    # always analyses before sending.
    analysis: str = "overlap"
    # rewrite a request predicted to fail only by fixable tool_result shapes (claude_otel/repair/)
    repair: bool = False
    # incidents and sessions (claude_otel.incidents, claude_otel.sessions)
    incidents_path: str | None = None  # a SQLite file; None: no local store (log records only if configured)
    incidents_error_message: bool = True  # keep the API's error message (bounded to 2 KB) in the record
    incidents_max_bytes: int = 256 * 1024 * 1024
    stuck_after: int = 3  # a session is stuck after this many failing attempts of one category in a row
    repeat_window_seconds: float = 10.0  # a failure within this of the session's last one may repeat it
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, kwargs: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None) -> Config:
        """Merge kwargs over env over defaults; raise ConfigError naming the bad key."""
        kwargs = dict(kwargs or {})
        env = os.environ if env is None else env
        known = {f.name for f in fields(cls)} - {"extra"}
        unknown = sorted(set(kwargs) - known)
        if unknown:
            raise ConfigError(f"unknown claude_otel option(s): {', '.join(unknown)}; known: {sorted(known)}")
        values: dict[str, Any] = {}
        for name, (var, parse) in _ENV.items():
            if name in kwargs:
                values[name] = _coerce(name, kwargs.pop(name), parse)
            elif var in env and env[var].strip() != "":
                values[name] = _coerce(name, env[var], parse, source=var)
        values.update(kwargs)  # objects: registry, providers
        cfg = cls(**values)
        if cfg.provider not in PROVIDERS:
            raise ConfigError(f"provider must be one of {PROVIDERS}, got {cfg.provider!r}")
        if cfg.analysis not in ANALYSIS_MODES:
            raise ConfigError(f"analysis must be one of {ANALYSIS_MODES}, got {cfg.analysis!r}")
        if cfg.max_body_bytes < 0 or cfg.state_max_entries < 0 or cfg.state_ttl_seconds < 0:
            raise ConfigError("max_body_bytes, state_max_entries and state_ttl_seconds must be >= 0")
        return cfg


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"not a boolean: {value!r}")


def _urls(value: Any) -> tuple[str, ...]:
    items = value.replace(";", ",").split(",") if isinstance(value, str) else list(value)
    out = []
    for item in items:
        url = str(item).strip().rstrip("/")
        if not url:
            continue
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"base URL must start with http:// or https://: {url!r}")
        out.append(url)
    return tuple(out)


_ENV: dict[str, tuple[str, Any]] = {
    "guard": ("CLAUDE_OTEL_GUARD", _bool),
    "max_body_bytes": ("CLAUDE_OTEL_MAX_BODY_BYTES", int),
    "extra_base_urls": ("CLAUDE_OTEL_EXTRA_BASE_URLS", _urls),
    "provider": ("CLAUDE_OTEL_PROVIDER", str),
    "use_global_registry": ("CLAUDE_OTEL_USE_GLOBAL_REGISTRY", _bool),
    "state_max_entries": ("CLAUDE_OTEL_STATE_MAX_ENTRIES", int),
    "state_ttl_seconds": ("CLAUDE_OTEL_STATE_TTL_SECONDS", float),
    "observe_responses": ("CLAUDE_OTEL_OBSERVE_RESPONSES", _bool),
    "max_error_body_bytes": ("CLAUDE_OTEL_MAX_ERROR_BODY_BYTES", int),
    "repair": ("CLAUDE_OTEL_REPAIR", _bool),
    "analysis": ("CLAUDE_OTEL_ANALYSIS", lambda v: str(v).strip().lower()),
    "incidents_path": ("CLAUDE_OTEL_INCIDENTS", str),
    "incidents_error_message": ("CLAUDE_OTEL_INCIDENTS_ERROR_MESSAGE", _bool),
    "incidents_max_bytes": ("CLAUDE_OTEL_INCIDENTS_MAX_BYTES", int),
    "stuck_after": ("CLAUDE_OTEL_STUCK_AFTER", int),
    "repeat_window_seconds": ("CLAUDE_OTEL_REPEAT_WINDOW_SECONDS", float),
}

ENV_VARS: dict[str, str] = {name: var for name, (var, _) in _ENV.items()}


def _coerce(name: str, value: Any, parse: Any, source: str | None = None) -> Any:
    try:
        return parse(value)
    except (TypeError, ValueError) as exc:
        where = source or name
        raise ConfigError(f"claude_otel option {where}: {exc}") from None
