"""A local Messages API that answers like the real one, including its 400s (never imports claude_otel.core).

from claude_otel.mock import MockConfig, MockServer, create_app
with MockServer(MockConfig(), host="127.0.0.1", port=0) as server:
    server.base_url   # "http://127.0.0.1:PORT"
"""

from __future__ import annotations

from .app import create_app
from .config import FAULT_KINDS, MockConfig
from .rules import ENFORCED_RULES
from .server import MockServer

__all__ = ["ENFORCED_RULES", "FAULT_KINDS", "MockConfig", "MockServer", "create_app"]
