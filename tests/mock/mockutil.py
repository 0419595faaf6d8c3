"""Helpers shared by the mock server tests (paths of fixtures, HTTP posting)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from claude_otel.mock import MockServer

VIOLATIONS = Path(__file__).resolve().parent.parent / "fixtures" / "violations"
LOOKALIKES = Path(__file__).resolve().parent / "lookalikes"
HEADERS = {"x-api-key": "test", "anthropic-version": "2023-06-01"}


def load(path: Path) -> dict:
    return json.loads(path.read_text())


_CLIENT = httpx.Client(timeout=30)  # one client: building one per request costs more than the request


def post(server: MockServer, body: dict, path: str = "/v1/messages", **headers: str) -> httpx.Response:
    return _CLIENT.post(server.base_url + path, json=body, headers={**HEADERS, **headers})
