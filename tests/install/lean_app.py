"""An application that only wants the hooks, run by test_lean_install.py in a venv with the core install.

It serves a stand-in Messages API (stdlib only) on 127.0.0.1, instruments, sends one well-formed and one
broken request through httpx, and prints what it saw as JSON on stdout.
"""

from __future__ import annotations

import json
import sys
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

import claude_otel

MESSAGE = {
    "id": "msg_lean",
    "type": "message",
    "role": "assistant",
    "model": "claude-sonnet-4-5",
    "content": [{"type": "text", "text": "ok"}],
    "stop_reason": "end_turn",
    "usage": {"input_tokens": 12, "output_tokens": 3},
}
ERROR = {
    "type": "error",
    "error": {
        "type": "invalid_request_error",
        "message": "messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: "
        "toolu_1. Each `tool_use` block must have a corresponding `tool_result` block in the next message.",
    },
}


class Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        bad = any(
            isinstance(m.get("content"), list) and any(b.get("type") == "tool_use" for b in m["content"])
            for m in body["messages"]
        )
        out = json.dumps(ERROR if bad else MESSAGE).encode()
        self.send_response(400 if bad else 200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args: object) -> None:
        pass


def main() -> int:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    claude_otel.instrument(extra_base_urls=[base], analysis="inline")
    metrics_server, _ = claude_otel.start_metrics_server(0)
    good = {"model": "claude-sonnet-4-5", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}
    broken = {
        "model": "claude-sonnet-4-5",
        "max_tokens": 10,
        "messages": [
            {"role": "user", "content": "hi"},
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "toolu_1", "name": "t", "input": {}}],
            },
            {"role": "user", "content": "go on"},
        ],
    }
    with httpx.Client(base_url=base) as client:
        statuses = [client.post("/v1/messages", json=b).status_code for b in (good, broken)]
    port = metrics_server.server_port
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode()
    heavy = [m for m in ("starlette", "uvicorn", "rich", "anthropic") if m in sys.modules]
    print(json.dumps({"statuses": statuses, "metrics": text, "heavy_imported": heavy}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
