"""Configuration of the mock server: scripted behaviour and fault injection."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

FAULT_KINDS = ("rate_limit", "overloaded", "stream_error")


@dataclass
class MockConfig:
    """What the mock does. Rates are probabilities in [0, 1], drawn from a generator seeded by ``seed``.

    A request can also force one fault with the header ``x-mock-fault: rate_limit|overloaded|stream_error``.
    """

    seed: int = 0
    # scripted behaviour
    tool_rounds: int = 2  # client tool rounds before the final text answer
    max_parallel_tool_calls: int = 2  # calls per round when several tools are offered
    prefer_tools: tuple[str, ...] = ()  # call these tools (when offered) before any other
    tool_inputs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # fixed input per tool name
    pause_turn_rate: float = 0.0  # share of server-tool turns that stop with pause_turn first
    programmatic_calls: bool = True  # code execution calls client tools that allow it (PTC)
    # fault injection
    rate_limit_rate: float = 0.0  # 429 rate_limit_error with retry-after
    retry_after_seconds: int = 1
    overloaded_rate: float = 0.0  # 529 overloaded_error
    stream_error_rate: float = 0.0  # streaming: event: error after the first content block
    slow_first_byte_seconds: float = 0.0  # delay before the response starts
    # enforcement
    enforce: bool = True  # answer shape violations with 400s
    signing_key: str = "claude-otel-mock"  # thinking signatures verify across restarts with the same key
    model_fallback: str = "claude-sonnet-4-5-20250929"

    def __post_init__(self) -> None:
        for name in ("pause_turn_rate", "rate_limit_rate", "overloaded_rate", "stream_error_rate"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not 0.0 <= float(value) <= 1.0:
                raise ValueError(f"MockConfig.{name} must be a number between 0 and 1, got {value!r}")
        if self.tool_rounds < 0 or self.max_parallel_tool_calls < 1:
            raise ValueError("MockConfig.tool_rounds must be >= 0 and max_parallel_tool_calls >= 1")
        if self.slow_first_byte_seconds < 0 or self.retry_after_seconds < 0:
            raise ValueError("MockConfig delays must be >= 0")
        self.prefer_tools = tuple(self.prefer_tools)
