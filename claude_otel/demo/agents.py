"""The fleet: agents running real tool loops with the official ``anthropic`` SDK against the mock server.

Each agent is a thread with its own SDK client. A clean agent sends well-formed requests; a buggy agent
carries one fault kind and injects it (at the first turn where it applies) into some of its conversations.
Every request is analysed with the core before sending (ground truth for the report); a 400 ends the
conversation and the agent starts a new one, as a fleet does.
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import anthropic

from claude_otel.core import analyze, classify_error

from .faults import FAULT_KINDS, FAULTS, FaultNotApplicable
from .scenarios import SCENARIO_NAMES, SCENARIOS, to_request_blocks, tool_results
from .tally import CLEAN, Event, Tally

MAX_TURNS = 12  # turns per conversation before an agent starts over
INJECT_SHARE = 0.6  # share of a buggy agent's conversations (after the first) that carry its fault


@dataclass(frozen=True, slots=True)
class AgentSpec:
    index: int
    scenario: str  # key of SCENARIOS
    fault: str | None  # key of FAULTS, None for a clean agent
    stream: bool

    @property
    def kind(self) -> str:
        return self.fault or CLEAN


def plan_fleet(agents: int, fault_rate: float, seed: int) -> list[AgentSpec]:
    """``round(agents * fault_rate)`` buggy agents, fault kinds dealt round-robin (all kinds covered when
    there are at least as many buggy agents as kinds), the rest clean over all scenarios; half stream."""
    if agents < 1:
        raise ValueError(f"agents must be >= 1, got {agents}")
    if not 0.0 <= fault_rate <= 1.0:
        raise ValueError(f"fault rate must be between 0 and 1, got {fault_rate}")
    rng = random.Random(seed)
    buggy = round(agents * fault_rate)
    kinds = list(FAULT_KINDS)
    rng.shuffle(kinds)
    specs: list[AgentSpec] = []
    for i in range(agents):
        if i < buggy:
            fault = kinds[i % len(kinds)]
            scenario = FAULTS[fault].needs
        else:
            fault = None
            scenario = SCENARIO_NAMES[(i - buggy) % len(SCENARIO_NAMES)]
        specs.append(AgentSpec(i, scenario, fault, stream=bool(i % 2)))
    return specs


def _send(client: anthropic.Anthropic, body: Mapping[str, Any], stream: bool) -> dict[str, Any]:
    if stream:
        with client.messages.stream(**body) as s:  # type: ignore[arg-type]
            message = s.get_final_message()
    else:
        message = client.messages.create(**body)  # type: ignore[arg-type]
    return message.model_dump(mode="json", exclude_none=True)


def _error_body(exc: anthropic.APIStatusError) -> str | None:
    try:
        if exc.body is not None:
            return json.dumps(exc.body)
        return exc.response.text
    except Exception:  # the body may be unreadable (stream already closed)
        return None


class Agent:
    def __init__(
        self,
        spec: AgentSpec,
        base_url: str,
        tally: Tally,
        *,
        seed: int,
        max_retries: int = 0,
        timeout: float = 20.0,
        on_event: Callable[[Event], None] | None = None,
        tracer_provider: Any = None,
    ) -> None:
        self.spec = spec
        self.scenario = SCENARIOS[spec.scenario]
        self.fault = FAULTS[spec.fault] if spec.fault else None
        self.tally = tally
        self.rng = random.Random(seed * 1000 + spec.index)
        self.on_event = on_event
        # Spans of the SDK in metadata-only mode whatever the environment says: never message content.
        otel: dict[str, Any] = {"traces": {"enabled": True, "content_mode": "metadata_only"}}
        if tracer_provider is not None:
            otel["tracer_provider"] = tracer_provider
        self.client = anthropic.Anthropic(
            base_url=base_url,
            api_key="demo",
            max_retries=max_retries,
            timeout=timeout,
            open_telemetry=otel,  # type: ignore[arg-type]
        )
        self.conversations = 0
        tally.add_agent(spec.kind)

    def run(self, stop: threading.Event) -> None:
        """Run conversations until ``stop`` is set; never raises."""
        try:
            while not stop.is_set():
                inject = self.fault is not None and (
                    self.conversations == 0 or self.rng.random() < INJECT_SHARE
                )
                self.conversations += 1
                if self.conversation(stop, inject):
                    self.tally.completed(self.spec.kind)
        except Exception as exc:  # a demo agent must not take the fleet down
            self._event(None, f"agent_crashed:{type(exc).__name__}", "n/a", None)
        finally:
            self.client.close()

    def _event(self, status: int | None, category: str, predicted: str, request_id: str | None) -> None:
        event = Event(self.spec.index, self.spec.kind, status, category, predicted, request_id)
        self.tally.event(event)
        if self.on_event is not None:
            self.on_event(event)

    def conversation(self, stop: threading.Event, inject: bool) -> bool:
        """One conversation; True when it finished normally, False when it ended on an error or stop."""
        messages: list[dict[str, Any]] = [{"role": "user", "content": self.scenario.prompt}]
        container: str | None = None
        for _turn in range(MAX_TURNS):
            if stop.is_set():
                return False
            body = self.scenario.body(messages, container=container)
            injected = False
            if inject and self.fault is not None:
                try:
                    body = self.fault.apply(body)
                    injected, inject = True, False
                except FaultNotApplicable:
                    pass
            analysis = analyze(body)
            rules = frozenset(f.rule for f in analysis.findings if f.severity == "error")
            try:
                response = _send(self.client, body, self.spec.stream)
            except anthropic.APIStatusError as exc:
                status = exc.status_code if exc.status_code >= 400 else None
                c = classify_error(_error_body(exc), status)
                category = c.category if status is not None else f"stream:{c.category}"
                self.tally.request(
                    self.spec.kind,
                    injected=injected,
                    predicted=analysis.predicted,
                    error_rules=rules,
                    status=exc.status_code,
                    category=category,
                )
                self._event(exc.status_code, category, analysis.predicted, exc.request_id)
                if status != 400:
                    stop.wait(0.2)  # back off after 429/529/5xx
                return False
            except anthropic.APIConnectionError as exc:
                if stop.is_set():
                    return False
                self.tally.request(
                    self.spec.kind,
                    injected=injected,
                    predicted=analysis.predicted,
                    error_rules=rules,
                    status=None,
                    category="connection",
                )
                self._event(None, f"connection:{type(exc).__name__}", analysis.predicted, None)
                stop.wait(0.5)
                return False
            self.tally.request(
                self.spec.kind,
                injected=injected,
                predicted=analysis.predicted,
                error_rules=rules,
                status=200,
                category=None,
            )
            content = response.get("content") or []
            messages.append({"role": "assistant", "content": to_request_blocks(content)})
            if isinstance(response.get("container"), Mapping):
                container = response["container"].get("id") or container
            stop_reason = response.get("stop_reason")
            if stop_reason == "tool_use":
                results = tool_results(content)
                if not results:
                    return True
                messages.append({"role": "user", "content": results})
            elif stop_reason == "pause_turn":
                continue  # resend with the assistant turn as is
            else:
                return True
        return True
