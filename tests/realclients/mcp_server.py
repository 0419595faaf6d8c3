"""A minimal MCP server on stdio (JSON-RPC, one message a line) with a few tools, for record.py.

Plain Python, no MCP package: Claude Code starts it from ``--mcp-config``; with tool search on, its tools
are deferred, which is what the corpus needs (``tool_reference`` blocks, ``defer_loading`` tools).
"""

from __future__ import annotations

import json
import sys

TOOLS = [
    {
        "name": f"{verb}_{noun}",
        "description": f"{verb.capitalize()} a {noun} in the inventory.",
        "inputSchema": {
            "type": "object",
            "properties": {"name": {"type": "string", "description": f"the {noun}'s name"}},
            "required": ["name"],
        },
    }
    for verb in ("lookup", "count", "reserve")
    for noun in ("widget", "gadget", "sprocket")
]


def answer(request: dict) -> dict | None:
    method, rid = request.get("method"), request.get("id")
    if rid is None:
        return None  # a notification
    if method == "initialize":
        result: dict = {
            "protocolVersion": request.get("params", {}).get("protocolVersion", "2025-06-18"),
            "capabilities": {"tools": {}},
            "serverInfo": {"name": "inventory", "version": "1.0.0"},
        }
    elif method == "tools/list":
        result = {"tools": TOOLS}
    elif method == "tools/call":
        params = request.get("params", {})
        text = f"{params.get('name')}: 3 in stock for {json.dumps(params.get('arguments', {}))}"
        result = {"content": [{"type": "text", "text": text}], "isError": False}
    elif method == "ping":
        result = {}
    else:
        return {"jsonrpc": "2.0", "id": rid, "error": {"code": -32601, "message": f"no method {method}"}}
    return {"jsonrpc": "2.0", "id": rid, "result": result}


def main() -> None:
    for line in sys.stdin:
        if not line.strip():
            continue
        reply = answer(json.loads(line))
        if reply is not None:
            sys.stdout.write(json.dumps(reply) + "\n")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
