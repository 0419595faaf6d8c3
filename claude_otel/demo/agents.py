"""The fleet: agents running real tool loops with the official ``anthropic`` SDK against the mock server.

Each agent has its own SDK client: ``Anthropic`` in a thread, or ``AsyncAnthropic`` in an asyncio task
(all asyncio agents share one event loop in one thread); some stream. A clean agent sends well-formed
requests; a buggy agent carries one fault kind and injects it (at the first turn where it applies) into
some of its conversations.
Every request is analysed with the core before sending (ground truth for the report); a 400 ends the
conversation and the agent starts a new one, as a fleet does.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import anthropic

from claude_otel.core import analyze, classify_error

from .faults import FAULT_KINDS, FAULTS, Fault, FaultNotApplicable
from .scenarios import SCENARIO_NAMES, SCENARIOS, Scenario, to_request_blocks, tool_results
from .tally import CLEAN, Event, Tally

MAX_TURNS = 12  # turns per conversation before an agent starts over
INJECT_SHARE = 0.6  # share of a buggy agent's conversations (after the first) that carry its fault


@dataclass(frozen=True, slots=True)
class AgentSpec:
    index: int
    scenario: str  # key of SCENARIOS
    fault: str | None  # key of FAULTS, None for a clean agent
    stream: bool
    use_async: bool = False  # AsyncAnthropic in an asyncio task instead of Anthropic in a thread

    @property
    def kind(self) -> str:
        return self.fault or CLEAN


def plan_fleet(agents: int, fault_rate: float, seed: int) -> list[AgentSpec]:
    """``round(agents * fault_rate)`` buggy agents, fault kinds dealt round-robin (all kinds covered when
    there are at least as many buggy agents as kinds), the rest clean over all scenarios; half of them
    stream, half of them are asyncio agents (sync/async x create/stream alternate along the fleet)."""
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
        specs.append(AgentSpec(i, scenario, fault, stream=bool(i % 2), use_async=bool(i // 2 % 2)))
    return specs


@dataclass(frozen=True, slots=True)
class Turn:
    """One request of a conversation, analysed before sending."""

    body: dict[str, Any]
    injected: bool
    predicted: str
    error_rules: frozenset[str]


class Conversation:
    """The state of one conversation, without I/O: which request to send next, what a response changes.

    ``next_turn()`` gives the next request (or None when the conversation is over); ``answer(response)``
    feeds back the response as a JSON dict. A fault is injected at the first turn where it applies.
    """

    def __init__(self, scenario: Scenario, fault: Fault | None, inject: bool) -> None:
        self.scenario = scenario
        self.fault = fault if inject else None
        self.messages: list[dict[str, Any]] = [{"role": "user", "content": scenario.prompt}]
        self.container: str | None = None
        self.turns = 0
        self.done = False

    def next_turn(self) -> Turn | None:
        if self.done or self.turns >= MAX_TURNS:
            self.done = True
            return None
        self.turns += 1
        body = self.scenario.body(self.messages, container=self.container)
        injected = False
        if self.fault is not None:
            try:
                body = self.fault.apply(body)
                injected, self.fault = True, None
            except FaultNotApplicable:
                pass
        analysis = analyze(body)
        rules = frozenset(f.rule for f in analysis.findings if f.severity == "error")
        return Turn(body, injected, analysis.predicted, rules)

    def answer(self, response: Mapping[str, Any]) -> None:
        content = response.get("content") or []
        self.messages.append({"role": "assistant", "content": to_request_blocks(content)})
        container = response.get("container")
        if isinstance(container, Mapping) and container.get("id"):
            self.container = str(container["id"])
        stop_reason = response.get("stop_reason")
        if stop_reason == "tool_use" and tool_results(content):
            self.messages.append({"role": "user", "content": tool_results(content)})
        elif stop_reason != "pause_turn":  # pause_turn: resend with the assistant turn as is
            self.done = True


def _error_body(exc: anthropic.APIStatusError) -> str | None:
    try:
        if exc.body is not None:
            return json.dumps(exc.body)
        return exc.response.text
    except Exception:  # the body may be unreadable (stream already closed)
        return None


def _otel_option(tracer_provider: Any) -> dict[str, Any]:
    # Spans of the SDK in metadata-only mode whatever the environment says: never message content.
    option: dict[str, Any] = {"traces": {"enabled": True, "content_mode": "metadata_only"}}
    if tracer_provider is not None:
        option["tracer_provider"] = tracer_provider
    return option


class _AgentBase:
    client_class: Any  # anthropic.Anthropic or anthropic.AsyncAnthropic, set by the subclass

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
        self.client = self.client_class(
            base_url=base_url,
            api_key="demo",
            max_retries=max_retries,
            timeout=timeout,
            open_telemetry=_otel_option(tracer_provider),
        )
        self.spec = spec
        self.scenario = SCENARIOS[spec.scenario]
        self.fault = FAULTS[spec.fault] if spec.fault else None
        self.tally = tally
        self.rng = random.Random(seed * 1000 + spec.index)
        self.on_event = on_event
        self.conversations = 0
        tally.add_agent(spec.kind)

    def _new_conversation(self) -> Conversation:
        inject = self.fault is not None and (self.conversations == 0 or self.rng.random() < INJECT_SHARE)
        self.conversations += 1
        return Conversation(self.scenario, self.fault, inject)

    def _event(self, status: int | None, category: str, predicted: str, request_id: str | None) -> None:
        event = Event(self.spec.index, self.spec.kind, status, category, predicted, request_id)
        self.tally.event(event)
        if self.on_event is not None:
            self.on_event(event)

    def _ok(self, turn: Turn) -> None:
        self.tally.request(
            self.spec.kind,
            injected=turn.injected,
            predicted=turn.predicted,
            error_rules=turn.error_rules,
            status=200,
            category=None,
        )

    def _status_error(self, turn: Turn, exc: anthropic.APIStatusError) -> float:
        """Record an HTTP error or a mid-stream error event; returns the back-off before starting over."""
        status = exc.status_code if exc.status_code >= 400 else None
        c = classify_error(_error_body(exc), status)
        category = c.category if status is not None else f"stream:{c.category}"
        self.tally.request(
            self.spec.kind,
            injected=turn.injected,
            predicted=turn.predicted,
            error_rules=turn.error_rules,
            status=exc.status_code,
            category=category,
        )
        self._event(exc.status_code, category, turn.predicted, exc.request_id)
        return 0.0 if status == 400 else 0.2  # back off after 429/529/5xx

    def _connection_error(self, turn: Turn, exc: anthropic.APIConnectionError) -> float:
        self.tally.request(
            self.spec.kind,
            injected=turn.injected,
            predicted=turn.predicted,
            error_rules=turn.error_rules,
            status=None,
            category="connection",
        )
        self._event(None, f"connection:{type(exc).__name__}", turn.predicted, None)
        return 0.5

    def _crashed(self, exc: BaseException) -> None:
        self._event(None, f"agent_crashed:{type(exc).__name__}", "n/a", None)


class Agent(_AgentBase):
    """A thread's agent: ``anthropic.Anthropic`` (sync), ``create`` or ``messages.stream``."""

    client_class = anthropic.Anthropic

    def _send(self, body: Mapping[str, Any]) -> dict[str, Any]:
        if self.spec.stream:
            with self.client.messages.stream(**body) as s:  # type: ignore[arg-type]
                message = s.get_final_message()
        else:
            message = self.client.messages.create(**body)  # type: ignore[arg-type]
        return message.model_dump(mode="json", exclude_none=True)

    def run(self, stop: threading.Event) -> None:
        """Run conversations until ``stop`` is set; never raises."""
        try:
            while not stop.is_set():
                if self.conversation(stop):
                    self.tally.completed(self.spec.kind)
        except Exception as exc:  # a demo agent must not take the fleet down
            self._crashed(exc)
        finally:
            self.client.close()

    def conversation(self, stop: threading.Event) -> bool:
        """One conversation; True when it finished normally, False when it ended on an error or stop."""
        conv = self._new_conversation()
        while not stop.is_set() and (turn := conv.next_turn()) is not None:
            self.tally.sending()
            try:
                response = self._send(turn.body)
            except anthropic.APIStatusError as exc:
                stop.wait(self._status_error(turn, exc))
                return False
            except anthropic.APIConnectionError as exc:
                if not stop.is_set():
                    stop.wait(self._connection_error(turn, exc))
                return False
            self._ok(turn)
            conv.answer(response)
        return conv.done


class AsyncAgent(_AgentBase):
    """An asyncio task's agent: ``anthropic.AsyncAnthropic``, ``create`` or ``messages.stream``."""

    client_class = anthropic.AsyncAnthropic

    async def _send(self, body: Mapping[str, Any]) -> dict[str, Any]:
        if self.spec.stream:
            async with self.client.messages.stream(**body) as s:  # type: ignore[arg-type]
                message = await s.get_final_message()
        else:
            message = await self.client.messages.create(**body)  # type: ignore[arg-type]
        return message.model_dump(mode="json", exclude_none=True)

    async def run(self, stop: threading.Event) -> None:
        """Run conversations until ``stop`` is set; never raises."""
        try:
            while not stop.is_set():
                if await self.conversation(stop):
                    self.tally.completed(self.spec.kind)
        except Exception as exc:  # a demo agent must not take the fleet down
            self._crashed(exc)
        finally:
            await self.client.close()

    async def conversation(self, stop: threading.Event) -> bool:
        conv = self._new_conversation()
        while not stop.is_set() and (turn := conv.next_turn()) is not None:
            self.tally.sending()
            try:
                response = await self._send(turn.body)
            except anthropic.APIStatusError as exc:
                await asyncio.sleep(self._status_error(turn, exc))
                return False
            except anthropic.APIConnectionError as exc:
                if not stop.is_set():
                    await asyncio.sleep(self._connection_error(turn, exc))
                return False
            self._ok(turn)
            conv.answer(response)
        return conv.done


def run_async_fleet(agents: list[AsyncAgent], stop: threading.Event) -> None:
    """Run the asyncio agents as tasks of one event loop (call in its own thread); returns when all stop."""

    async def main() -> None:
        await asyncio.gather(*(agent.run(stop) for agent in agents))

    if agents:
        asyncio.run(main())
