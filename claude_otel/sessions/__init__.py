"""Sessions: who a request belongs to, retry bursts, stuck sessions and recoveries (see ``key``,
``table``); their Prometheus metrics in ``metrics``."""

from .key import SessionKey, conversation, repeat_signature, session_key
from .table import FailureVerdict, SessionTable, StuckSession, SuccessVerdict

__all__ = [
    "FailureVerdict",
    "SessionKey",
    "SessionTable",
    "StuckSession",
    "SuccessVerdict",
    "conversation",
    "repeat_signature",
    "session_key",
]
