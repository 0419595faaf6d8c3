"""No content leaves the core: canaries in every content field never reach skeleton, shape or findings."""

from __future__ import annotations

import base64
import itertools
import json

from core_bodies import SIG, asst, body, srv_use, system_msg, tr, tu, txt, user, wire

from claude_otel.core import analyze, skeleton

_counter = itertools.count()
CANARIES: list[str] = []


def canary(kind: str) -> str:
    c = f"CANARY{kind.upper()}{next(_counter):04d}Z"
    CANARIES.append(c)
    return c


def b64_canary() -> str:
    raw = f"CANARYB64{next(_counter):04d}Z ".encode() * 40
    data = base64.b64encode(raw).decode()
    CANARIES.append(data[:40])
    return data


def canary_body(turns: int = 40) -> dict:
    CANARIES.clear()
    messages: list[dict] = [
        user(
            [
                txt(canary("text")),
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/png", "data": b64_canary()},
                },
            ]
        ),
        user(
            [
                {
                    "type": "document",
                    "source": {"type": "text", "media_type": "text/plain", "data": canary("doc")},
                    "title": canary("doctitle"),
                    "context": canary("docctx"),
                },
                {
                    "type": "document",
                    "source": {"type": "base64", "media_type": "application/pdf", "data": b64_canary()},
                },
            ]
        ),
    ]
    for k in range(turns):
        tid = f"toolu_{k:04d}AB"
        messages.append(
            asst(
                [
                    {"type": "thinking", "thinking": canary("thinking"), "signature": canary("sig")},
                    {"type": "redacted_thinking", "data": canary("redacted")},
                    txt(canary("asst")),
                    srv_use(f"srvtoolu_{k:04d}", "web_search", {"query": canary("srvinput")}),
                    {
                        "type": "web_search_tool_result",
                        "tool_use_id": f"srvtoolu_{k:04d}",
                        "content": [
                            {
                                "type": "web_search_result",
                                "url": "https://e.com/" + canary("url"),
                                "title": canary("title"),
                                "encrypted_content": canary("enc"),
                            }
                        ],
                    },
                    tu(
                        tid,
                        "get_weather",
                        {"city": canary("input"), "nested": {"deep": [canary("deepinput")]}},
                    ),
                ]
            )
        )
        content: object = (
            canary("output")
            if k % 3 == 0
            else [
                txt(canary("outtext")),
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/jpeg", "data": b64_canary()},
                },
            ]
        )
        # deliberately buggy every few turns so that findings (and their messages) are produced
        if k % 5 == 1:
            messages.append(user([txt(canary("before")), tr(tid, content, is_error=k % 2 == 0)]))
        else:
            messages.append(user([tr(tid, content), txt(canary("after"))]))
    messages.append(system_msg(canary("sysmsg")))
    messages.append(asst(canary("prefill") + " "))
    return body(
        messages,
        system=[{"type": "text", "text": canary("system")}],
        tools=[
            {
                "name": "get_weather",
                "description": canary("desc"),
                "input_schema": {
                    "type": "object",
                    "description": canary("schemadesc"),
                    "properties": {"city": {"type": "string", "description": canary("propdesc")}},
                },
            }
        ],
        model="claude-opus-4-6",
        metadata={"user_id": canary("user")},
        thinking={"type": "enabled", "budget_tokens": 2048},
    )


def test_canaries_never_leave_the_core() -> None:
    b = canary_body()
    raw = wire(b)
    assert len(raw) > 50_000
    for c in CANARIES:
        assert c.encode() in raw  # the canaries are really in the body
    a = analyze(raw)
    assert len(a.findings) >= 5  # buggy turns produce findings with messages
    exported = json.dumps(
        {
            "skeleton": skeleton(raw),
            "shape": a.shape.as_dict(),
            "findings": [f.as_dict() for f in a.findings],
            "skeleton_dict": skeleton(b),
        }
    )
    leaked = [c for c in CANARIES if c in exported]
    assert leaked == []
    assert "CANARY" not in exported
    assert SIG not in exported


def test_skeleton_keeps_the_shape() -> None:
    sk = skeleton(wire(canary_body(turns=2)))
    assert sk["message_count"] == len(sk["messages"])
    a1 = sk["messages"][2]
    assert [blk["type"] for blk in a1["blocks"]] == [
        "thinking",
        "redacted_thinking",
        "text",
        "server_tool_use",
        "web_search_tool_result",
        "tool_use",
    ]
    assert a1["blocks"][5]["id"] == "toolu_0000AB" and a1["blocks"][5]["name"] == "get_weather"
    assert a1["blocks"][0]["chars"] == len("CANARYTHINKING0000Z")
    res = sk["messages"][3]["blocks"][0]
    assert res["type"] == "tool_result" and res["tool_use_id"] == "toolu_0000AB"
    assert sk["tools"][0]["name"] == "get_weather"
