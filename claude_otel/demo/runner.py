"""Run the demo: mock server, instrumentation, /metrics, the fleet, the live view, the report.

I/O lives here; what to send (``scenarios``, ``faults``), what to count (``tally``, ``metrics_view``) and what
to write (``report``) live in their own modules.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.live import Live

from .agents import Agent, AsyncAgent, plan_fleet, run_async_fleet
from .live import render
from .metrics_view import EXPECTED_SERIES, parse_exposition, read_registry
from .mockproc import MockProcess
from .report import build_report, summary_lines, write_report
from .tally import Event, Tally
from .tracing import make_tracer_provider

log = logging.getLogger("claude_otel.demo")

# The mock's own transient faults, so the fleet also sees 429/529 and a mid-stream error now and then.
MOCK_FAULT_RATES = {"rate_limit_rate": 0.01, "overloaded_rate": 0.005, "stream_error_rate": 0.01}


@dataclass(frozen=True)
class DemoConfig:
    agents: int = 16
    duration: float = 20.0
    fault_rate: float = 0.5
    metrics_port: int = 9464
    metrics_addr: str = "127.0.0.1"
    report: str = "reports/demo-report.json"
    live: bool = True
    seed: int = 1
    hold: bool = False
    mock_faults: bool = True
    incidents: str | None = None  # the incident store (claude_otel.incidents); None: none written


@dataclass
class Servers:
    mock: Any = None
    mock_url: str = ""
    metrics_server: Any = None
    metrics_url: str = ""
    instrumented: bool = False
    tracer_provider: Any = None
    spans: Any = None  # SpanCounter
    otlp_endpoint: str | None = None


def _start_metrics(claude_otel: Any, cfg: DemoConfig, say: Callable[[str], None]) -> tuple[Any, str]:
    from claude_otel.incidents.page import start_metrics_server  # /metrics and the /incidents page

    registry = claude_otel.get_registry()
    try:
        server, _thread = start_metrics_server(cfg.metrics_port, cfg.metrics_addr, registry=registry)
    except OSError as exc:
        if cfg.metrics_port == 0:
            raise
        say(f"port {cfg.metrics_port} is busy ({exc.strerror}); serving /metrics on a free port instead")
        server, _thread = start_metrics_server(0, cfg.metrics_addr, registry=registry)
    host, port = server.server_address[:2]
    return server, f"http://{host}:{port}/metrics"


def scrape(url: str, timeout: float = 5.0) -> dict[str, Any]:
    """GET ``/metrics`` as Prometheus would; which expected series were served, with their sums."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            text = resp.read().decode("utf-8", "replace")
    except OSError as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}", "series": {}}
    sums = parse_exposition(text)
    series = {name: sums[name] for name in sorted(sums) if name.startswith("claude_otel_")}
    missing = [name for name in EXPECTED_SERIES if name not in series]
    return {"ok": not missing, "missing": missing, "series": series}


def _status(status: int | None) -> str:
    if status is None:
        return "no response:"
    return str(status) if status >= 400 else "mid-stream error"


def _line_printer() -> Callable[[str], None]:
    lock = threading.Lock()

    def say(line: str) -> None:
        with lock:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

    return say


def _interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def run_demo(cfg: DemoConfig, console: Console | None = None) -> tuple[dict[str, Any], Path, bool]:
    """Run one demo; returns (report, report path, interrupted). Ctrl-C (or SIGTERM) stops it cleanly."""
    if threading.current_thread() is not threading.main_thread():
        return _run_demo(cfg, console)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        return _run_demo(cfg, console)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run_demo(cfg: DemoConfig, console: Console | None) -> tuple[dict[str, Any], Path, bool]:
    console = console or Console()
    say = console.print if cfg.live else _line_printer()
    import claude_otel

    servers = Servers()
    tally = Tally()
    stop = threading.Event()
    interrupted = False
    started = time.monotonic()
    fleet = plan_fleet(cfg.agents, cfg.fault_rate, cfg.seed)
    seen: set[tuple[int, str]] = set()

    def on_event(event: Event) -> None:
        log.info(
            "agent %d (%s): %s %s, predicted=%s, request-id=%s",
            event.agent, event.kind, event.status, event.category, event.predicted, event.request_id,
        )  # fmt: skip
        if not cfg.live and (event.agent, event.category) not in seen:
            seen.add((event.agent, event.category))
            say(
                f"  agent {event.agent:>2} [{event.kind}] got {_status(event.status)} {event.category} "
                f"(predicted={event.predicted}) - starting a new conversation"
            )

    threads: list[threading.Thread] = []
    report: dict[str, Any] = {}
    scrape_result: dict[str, Any] = {"ok": False, "error": "not scraped", "series": {}}
    final: tuple[Any, dict[str, Any]] | None = None  # the view and tally the report is built from
    try:
        mock_cfg = {"seed": cfg.seed, "pause_turn_rate": 0.1, **(MOCK_FAULT_RATES if cfg.mock_faults else {})}
        say("starting the mock Messages API (a child process) ...")
        t0 = time.monotonic()
        servers.mock = MockProcess(mock_cfg)
        servers.mock.__enter__()
        servers.mock_url = servers.mock.base_url
        say(f"mock Messages API: {servers.mock_url} (up in {time.monotonic() - t0:.1f} s)")
        if not cfg.mock_faults:
            say("network-level faults off: no 429, 529 or mid-stream error from the mock")
        provider, servers.spans, servers.otlp_endpoint = make_tracer_provider(say)
        servers.tracer_provider = provider
        # The mock is not api.anthropic.com: tell the instrumentation it is a Messages API too.
        claude_otel.instrument(
            extra_base_urls=(servers.mock_url,), tracer_provider=provider, incidents_path=cfg.incidents
        )
        servers.instrumented = True
        servers.metrics_server, servers.metrics_url = _start_metrics(claude_otel, cfg, say)
        say(f"metrics: {servers.metrics_url}")
        say(f"incidents page: {servers.metrics_url.removesuffix('/metrics')}/incidents")
        if cfg.incidents:
            say(f"incidents: {cfg.incidents} (claude-otel incidents list --db {cfg.incidents})")
        buggy = sum(1 for s in fleet if s.fault)
        say(
            f"fleet: {len(fleet)} agents ({buggy} buggy, {len(fleet) - buggy} clean), {cfg.duration:g} s; "
            "creating their SDK clients ..."
        )
        common: dict[str, Any] = {
            "seed": cfg.seed, "max_retries": 2, "on_event": on_event, "tracer_provider": provider,
        }  # fmt: skip
        sync_agents = [Agent(s, servers.mock_url, tally, **common) for s in fleet if not s.use_async]
        async_agents = [AsyncAgent(s, servers.mock_url, tally, **common) for s in fleet if s.use_async]
        for agent in sync_agents:
            name = f"demo-agent-{agent.spec.index}"
            threads.append(threading.Thread(target=agent.run, args=(stop,), name=name, daemon=True))
        if async_agents:
            threads.append(
                threading.Thread(
                    target=run_async_fleet, args=(async_agents, stop), name="demo-async-agents", daemon=True
                )
            )
        for t in threads:
            t.start()
        started = time.monotonic()
        registry = claude_otel.get_registry()
        try:
            if cfg.live:
                # transient: the last frame is erased, and the final one is drawn from the report's numbers
                with Live(console=console, refresh_per_second=4, transient=True) as live:
                    while (elapsed := time.monotonic() - started) < cfg.duration:
                        frame = render(
                            read_registry(registry), tally.snapshot(), elapsed=elapsed, duration=cfg.duration,
                            mock_url=servers.mock_url, metrics_url=servers.metrics_url, width=console.width,
                        )  # fmt: skip
                        live.update(frame)
                        stop.wait(0.25)
            else:
                next_line = 5.0
                while (elapsed := time.monotonic() - started) < cfg.duration:
                    if elapsed >= next_line:
                        view = read_registry(registry)
                        say(f"  {elapsed:4.0f} s: {view.requests} requests, "
                            f"{view.requests_by_outcome.get('invalid_request', 0)} 400s")  # fmt: skip
                        next_line += 5.0
                    stop.wait(0.25)
        except KeyboardInterrupt:
            interrupted = True
            say("interrupted: stopping the agents")
        stop.set()
        if cfg.live:
            say("time is up: letting the agents finish their requests ...")
        for t in threads:
            t.join(timeout=10)
    except KeyboardInterrupt:
        interrupted = True
        stop.set()
    finally:
        stop.set()
        elapsed = time.monotonic() - started
        if servers.metrics_url:  # after the agents stopped: the same totals as the report's
            scrape_result = scrape(servers.metrics_url)
        view = read_registry(claude_otel.get_registry()) if servers.instrumented else read_registry(None)
        final = (view, tally.snapshot())
        report = build_report(
            config=asdict(cfg),
            fleet=fleet,
            tally=final[1],
            metrics=view.as_dict(),
            metrics_url=servers.metrics_url or None,
            metrics_scrape=scrape_result,
            mock_url=servers.mock_url or None,
            elapsed_s=elapsed,
            interrupted=interrupted,
            spans=servers.spans.snapshot() if servers.spans is not None else {},
            otlp_endpoint=servers.otlp_endpoint,
        )
        path = write_report(report, cfg.report)
        if servers.mock is not None:
            servers.mock.__exit__(None, None, None)
    if cfg.live and servers.instrumented and final is not None:
        console.print(
            render(
                final[0], final[1], elapsed=report["elapsed_s"], duration=cfg.duration,
                mock_url=servers.mock_url, metrics_url=servers.metrics_url, width=console.width, final=True,
            )
        )  # fmt: skip
    for line in summary_lines(report):
        say(line)
    say(f"report: {path}")
    if servers.metrics_url:
        say(f"metrics were served at {servers.metrics_url}")
    try:
        if cfg.hold and not interrupted and servers.metrics_server is not None:
            say("holding: /metrics stays up until Ctrl-C")
            threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        if servers.metrics_server is not None:
            servers.metrics_server.shutdown()
            servers.metrics_server.server_close()
        if servers.instrumented:
            claude_otel.uninstrument()
        if servers.tracer_provider is not None:
            servers.tracer_provider.shutdown()  # flushes the OTLP exporter, if any
    return report, path, interrupted
