"""A small read-only HTML page next to ``/metrics`` (the proxy's and the demo's metrics port): the prediction
table, stuck sessions, the latest incidents, and one incident's packet with its skeleton drawn as a timeline
of turns (tool_use -> tool_result links, the failing block marked). Server-rendered, no script, no build
step, nothing loaded from elsewhere; every value is HTML-escaped. ``render_*`` are pure; ``PageApp`` is the
WSGI edge (``/incidents``, ``/incidents/<id>``; every other path is the Prometheus exposition)."""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from .render import bursts, count

__all__ = ["PageApp", "prediction_table", "render_incident", "render_index", "start_metrics_server"]

PAGE_PATH = "/incidents"
_ID = re.compile(r"^[0-9a-f]{4,32}$")
_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:1.5em;color:#1d1d1f;max-width:75em}
h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.6em}
table{border-collapse:collapse;margin:.4em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}
th{background:#f2f2f2}code{font:12px ui-monospace,monospace}
.turn{border-left:4px solid #8aa;margin:.3em 0;padding:.2em .6em}.turn.user{border-color:#69c}
.turn.assistant{border-color:#9b6}.turn.failing{border-color:#c33;background:#fff3f3}
.block{display:inline-block;border:1px solid #bbb;border-radius:4px;margin:.15em;padding:.1em .4em}
.block.failing{border:2px solid #c33;background:#fdd;font-weight:bold}.elided{color:#777;font-style:italic}
.stuck{color:#b00;font-weight:bold}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _doc(title: str, body: str) -> bytes:
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>{body}</body></html>"
    ).encode()


def prediction_table(registry: Any) -> dict[tuple[str, str], float]:
    """(predicted, outcome) -> requests, summed over the other labels of claude_otel_requests_total."""
    out: dict[tuple[str, str], float] = {}
    for family in registry.collect():
        if family.name != "claude_otel_requests":
            continue
        for s in family.samples:
            if s.name.endswith("_total"):
                key = (s.labels.get("predicted", ""), s.labels.get("outcome", ""))
                out[key] = out.get(key, 0.0) + s.value
    return out


def render_index(
    predictions: Mapping[tuple[str, str], float], stuck: Sequence[Any], incidents: Sequence[Mapping[str, Any]]
) -> bytes:
    outcomes = sorted({o for _, o in predictions}) or ["ok", "invalid_request"]
    predicted = [
        p for p in ("error", "warning", "ok", "unparsed", "skipped") if any(k[0] == p for k in predictions)
    ]
    rows = "".join(
        f"<tr><th>{_e(p)}</th>"
        + "".join(f"<td>{predictions.get((p, o), 0):.0f}</td>" for o in outcomes)
        + "</tr>"
        for p in predicted
    )
    parts = [
        "<h1>claude-otel: incidents</h1>",
        "<h2>Prediction table (requests)</h2>",
        f"<table id=predictions><tr><th>predicted \\ outcome</th>"
        f"{''.join(f'<th>{_e(o)}</th>' for o in outcomes)}</tr>{rows}</table>",
        f"<h2>Stuck sessions ({len(stuck)})</h2>",
    ]
    if stuck:
        parts.append(
            "<table id=stuck><tr><th>session</th><th>category</th><th>failing attempts</th>"
            "<th>incident</th></tr>"
        )
        for s in stuck:
            link = f"<a href='{PAGE_PATH}/{quote(s.last_burst_id)}'>{_e(s.last_burst_id)}</a>"
            parts.append(
                f"<tr><td class=stuck>{_e(s.key)}</td><td>{_e(s.category)}</td><td>{s.attempts}</td>"
                f"<td>{link}</td></tr>"
            )
        parts.append("</table>")
    else:
        parts.append("<p id=stuck>none</p>")
    parts.append(f"<h2>Latest incidents ({len(incidents)})</h2>")
    parts.append(
        "<table id=incidents><tr><th>id</th><th>time (UTC)</th><th>kind</th><th>status</th><th>category</th>"
        "<th>prediction</th><th>client</th><th>attempts</th><th>session</th></tr>"
    )
    for r in incidents:
        parts.append(
            f"<tr><td><a href='{PAGE_PATH}/{quote(str(r.get('id')))}'>{_e(r.get('id'))}</a></td>"
            f"<td>{_e(r.get('time'))}</td><td>{_e(r.get('kind'))}</td><td>{_e(r.get('status'))}</td>"
            f"<td>{_e(r.get('category'))}</td><td>{_e(r.get('prediction'))}</td>"
            f"<td>{_e(r.get('client_version') or r.get('client'))}</td><td>{_e(r.get('attempts', 1))}"
            f"{' <span class=stuck>stuck</span>' if r.get('session_stuck') else ''}</td>"
            f"<td>{_e(r.get('session'))}</td></tr>"
        )
    parts.append("</table>")
    return _doc("claude-otel incidents", "".join(parts))


def _block_html(b: Mapping[str, Any]) -> str:
    t = str(b.get("type"))
    cls = "block failing" if b.get("failing") else "block"
    if t in ("tool_use", "server_tool_use", "mcp_tool_use"):
        anchor = f"use-{b.get('id')}"
        text = f"{_e(t)} <code>{_e(b.get('id'))}</code> {_e(b.get('name'))}"
        return f"<span class='{cls}' id='{_e(anchor)}'>{text}</span>"
    if b.get("tool_use_id") is not None:
        target = f"#use-{quote(str(b.get('tool_use_id')))}"
        err = " (is_error)" if b.get("is_error") else ""
        text = f"{_e(t)} → <a class=link href='{target}'><code>{_e(b.get('tool_use_id'))}</code></a>{err}"
        return f"<span class='{cls}'>{text}</span>"
    size = f" ({_e(b.get('chars'))} chars)" if "chars" in b else ""
    return f"<span class='{cls}'>{_e(t)}{size}</span>"


def render_incident(packet: Mapping[str, Any]) -> bytes:
    fields = (
        ("time", "Time (UTC)"),
        ("kind", "Kind"),
        ("client_version", "Client"),
        ("model", "Model"),
        ("status", "HTTP status"),
        ("error_type", "error.type"),
        ("category", "Category"),
        ("prediction", "Prediction"),
        ("request_id", "Request id"),
        ("trace_id", "Trace id"),
        ("session", "Session"),
        ("attempts", "Attempts"),
        ("rewind_to_message", "Rewind to message"),
        ("error_message", "API error message"),
    )
    rows = "".join(
        f"<tr><th>{label}</th><td>{_e(packet.get(key))}</td></tr>"
        for key, label in fields
        if packet.get(key) is not None
    )
    findings = "".join(
        f"<li><b>{_e(f.get('rule'))}</b> ({_e(f.get('severity'))}) at <code>{_e(f.get('path'))}</code>: "
        f"{_e(f.get('fix'))}</li>"
        for f in packet.get("findings") or ()
    )
    turns = []
    skel = packet.get("skeleton") or {}
    for m in skel.get("messages") or ():
        if "elided" in m:
            turns.append(f"<div class=elided>… {_e(count(m['elided'], 'message'))} elided …</div>")
            continue
        role = str(m.get("role"))
        cls = f"turn {_e(role)}" + (" failing" if m.get("failing") else "")
        if m.get("content") == "string":
            inner = f"<span class=block>text ({_e(m.get('chars'))} chars)</span>"
        else:
            inner = "".join(_block_html(b) for b in m.get("blocks") or ())
        turns.append(
            f"<div class='{cls}' data-i='{_e(m.get('i'))}'><b>[{_e(m.get('i'))}] {_e(role)}</b> {inner}</div>"
        )
    body = (
        f"<p><a href='{PAGE_PATH}'>← all incidents</a></p><h1>Incident {_e(packet.get('id'))}</h1>"
        f"<table id=packet>{rows}</table><h2>Findings</h2><ul id=findings>{findings or '<li>none</li>'}</ul>"
        f"<h2>Timeline ({_e(count(skel.get('message_count'), 'message'))})</h2>"
        f"<div id=timeline>{''.join(turns)}</div>"
    )
    return _doc(f"claude-otel incident {packet.get('id')}", body)


class PageApp:
    """WSGI: the page under ``/incidents``, the Prometheus exposition everywhere else."""

    def __init__(self, registry: Any, metrics_app: Callable[..., Iterable[bytes]], limit: int = 50) -> None:
        self.registry = registry
        self.metrics_app = metrics_app
        self.limit = limit

    def _sources(self) -> tuple[list[Any], list[dict[str, Any]]]:
        from .recorder import live_forensics
        from .store import IncidentStore

        stuck: list[Any] = []
        records: list[dict[str, Any]] = []
        paths: set[str] = set()
        for f in live_forensics():
            if f.metrics.registry is not self.registry:
                continue
            stuck += f.table.stuck()
            if f.path:
                paths.add(f.path)
        for path in sorted(paths):
            store = IncidentStore(path)
            try:
                records += store.query(limit=self.limit * 8)
            finally:
                store.close()
        return stuck, records

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path != PAGE_PATH and not path.startswith(PAGE_PATH + "/"):
            return self.metrics_app(environ, start_response)
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            start_response("405 Method Not Allowed", [("Allow", "GET, HEAD")])
            return [b""]
        try:
            stuck, records = self._sources()
            if path == PAGE_PATH:
                body = render_index(prediction_table(self.registry), stuck, bursts(records)[: self.limit])
            else:
                wanted = path[len(PAGE_PATH) + 1 :]
                if not _ID.match(wanted):
                    return _plain(start_response, "404 Not Found", b"no such incident")
                group = [r for r in records if r.get("burst_id") == wanted or r.get("id") == wanted]
                if not group:
                    return _plain(start_response, "404 Not Found", b"no such incident")
                burst_id = group[0].get("burst_id") or wanted
                packet = bursts(r for r in records if r.get("burst_id") == burst_id)[0]
                body = render_incident(packet)
        except Exception as exc:  # the page never takes /metrics down
            return _plain(start_response, "500 Internal Server Error", type(exc).__name__.encode())
        headers = [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(body))),
            ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'"),
            ("X-Content-Type-Options", "nosniff"),
        ]
        start_response("200 OK", headers)
        return [body]


def _plain(start_response: Callable[..., Any], status: str, body: bytes) -> list[bytes]:
    start_response(status, [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


def start_metrics_server(
    port: int, addr: str = "127.0.0.1", registry: Any = None
) -> tuple[Any, threading.Thread]:
    """Like ``claude_otel.start_metrics_server``, plus the page at ``/incidents``."""
    from wsgiref.simple_server import make_server

    from prometheus_client import make_wsgi_app
    from prometheus_client.exposition import ThreadingWSGIServer, _SilentHandler

    from claude_otel.instrumentation.metrics import get_registry

    registry = registry if registry is not None else get_registry()
    app = PageApp(registry, make_wsgi_app(registry))
    server = make_server(addr, port, app, ThreadingWSGIServer, handler_class=_SilentHandler)
    thread = threading.Thread(target=server.serve_forever, name="claude-otel-metrics", daemon=True)
    thread.start()
    return server, thread
