"""``claude-otel proxy``: an observing reverse proxy for clients that honour ``ANTHROPIC_BASE_URL``."""

from claude_otel.core.client_label import CLIENT_LABELS, client_label, client_version, parse_user_agent
from claude_otel.proxy.app import ProxyApp, ProxyConfig, make_upstream_client

__all__ = [
    "CLIENT_LABELS",
    "ProxyApp",
    "ProxyConfig",
    "client_label",
    "client_version",
    "make_upstream_client",
    "parse_user_agent",
]
