"""Three rules where the API answers 400 and the core used to only warn: D6 with thinking absent, the
base64 length of images, and D8 budget >= max_tokens when the request's betas are known.

Each is checked on bodies as sent on the wire; D8 and the image limit also against the mock server over
real HTTP (with and without the anthropic-beta header): whenever the mock answers 400 with the rule, the
core predicts an error with that rule; whenever the mock accepts the request, the core predicts no error.
(D6 needs thinking signatures the mock issued: tests/mock/test_core_agrees.py covers it with the fixture.)
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from core_bodies import MODEL, TOOLS, asst, body, think, txt, user, wire

from claude_otel.core import analyze, classify_error
from claude_otel.mock import MockConfig, MockServer

BETA = "interleaved-thinking-2025-05-14"
Q = user("What's the weather in Paris?")
OVER = {"type": "enabled", "budget_tokens": 8000}  # with max_tokens 4000


def image(data: str) -> dict:
    return {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": data}}


def severities(a: object, rule: str) -> list[str]:
    return [f.severity for f in a.findings if f.rule == rule]  # type: ignore[attr-defined]


# D6 -------------------------------------------------------------------------------------------------


def test_thinking_in_final_assistant_is_an_error_when_thinking_is_absent() -> None:
    a = analyze(wire(body([Q, asst([think(), txt("The weather is")])])))
    (f,) = [f for f in a.findings if f.rule == "thinking_in_final_when_disabled"]
    assert (f.severity, f.path, a.predicted) == ("error", "messages.1", "error")
    assert "absent" in f.message


def test_thinking_in_earlier_assistant_turn_with_thinking_absent_is_not_d6() -> None:
    a = analyze(wire(body([Q, asst([think(), txt("Sunny.")]), user("thanks")])))
    assert "thinking_in_final_when_disabled" not in {f.rule for f in a.findings}


# image_too_large ------------------------------------------------------------------------------------


def test_image_limit_is_the_base64_length() -> None:
    data = "A" * 6_000_000  # 6,000,000 base64 bytes, 4,500,000 decoded
    a = analyze(wire(body([user([image(data), txt("what is this?")])])))
    (f,) = [f for f in a.findings if f.rule == "image_too_large"]
    assert (f.severity, f.path) == ("error", "messages.0.content.0.image.source.base64")
    assert "6000000 bytes > 5242880 bytes" in f.message


def test_image_of_exactly_5_mb_base64_is_accepted() -> None:
    a = analyze(wire(body([user([image("A" * 5_242_880), txt("what is this?")])])))
    assert a.findings == () and a.predicted == "ok"


# D8 -------------------------------------------------------------------------------------------------


def over_budget(model: str = MODEL, tools: list | None = TOOLS) -> bytes:
    return wire(body([Q], model=model, tools=tools, max_tokens=4000, thinking=OVER))


@pytest.mark.parametrize(
    ("model", "tools", "betas", "expected"),
    [
        (MODEL, TOOLS, None, ["warning"]),  # betas unknown (CLI, no header): cannot tell
        (MODEL, TOOLS, (), ["error"]),  # known: no beta at all
        (MODEL, TOOLS, ("files-api-2025-04-14",), ["error"]),
        (MODEL, TOOLS, (BETA,), []),  # interleaved thinking with tools: accepted
        (MODEL, TOOLS, f"files-api-2025-04-14, {BETA}", []),  # the header value, comma-joined
        (MODEL, TOOLS, "", ["error"]),  # an empty header value: no beta
        (MODEL, None, (BETA,), ["error"]),  # the exception needs tools
        (MODEL, None, None, ["error"]),
        ("claude-opus-4-6", TOOLS, (), ["warning"]),  # adaptive model: interleaves by itself
        ("claude-haiku-4-5", TOOLS, (BETA,), ["warning"]),  # the beta is ignored there
        ("claude-haiku-4-5", TOOLS, (), ["error"]),
        ("claude-future-9", TOOLS, (), ["warning"]),  # unknown model
    ],
)
def test_budget_over_max_tokens_depends_on_betas_tools_and_model(
    model: str, tools: list | None, betas: object, expected: list[str]
) -> None:
    a = analyze(over_budget(model, tools), betas=betas)  # type: ignore[arg-type]
    assert severities(a, "thinking_budget") == expected
    assert a.ok == ("error" not in expected)


def test_betas_default_is_unknown_and_empty_tuple_means_none() -> None:
    assert severities(analyze(over_budget()), "thinking_budget") == ["warning"]
    assert severities(analyze(over_budget(), betas=()), "thinking_budget") == ["error"]
    assert analyze(over_budget(), betas=[" " + BETA + " "]).shape.betas == (BETA,)


# against the mock server -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer(MockConfig(seed=11)) as running:
        yield running


def post(server: MockServer, raw: bytes, beta: str | None) -> httpx.Response:
    headers = {"x-api-key": "test", "anthropic-version": "2023-06-01", "content-type": "application/json"}
    if beta is not None:
        headers["anthropic-beta"] = beta
    return httpx.post(server.base_url + "/v1/messages", content=raw, headers=headers, timeout=30)


CASES = {  # name: (body, anthropic-beta header or None, the mock's status)
    "d8_tools_no_beta": (over_budget(), None, 400),
    "d8_tools_other_beta": (over_budget(), "files-api-2025-04-14", 400),
    "d8_tools_interleaved": (over_budget(), BETA, 200),
    "d8_no_tools_interleaved": (over_budget(tools=None), BETA, 400),
    "image_6mb_base64": (wire(body([user([image("A" * 6_000_000), txt("what?")])])), None, 400),
    "image_5mb_base64": (wire(body([user([image("A" * 5_242_880), txt("what?")])])), None, 200),
}


@pytest.mark.parametrize("name", list(CASES))
def test_core_prediction_matches_the_mock_answer(server: MockServer, name: str) -> None:
    raw, beta, status = CASES[name]
    response = post(server, raw, beta)
    assert response.status_code == status, response.text
    # the instrumentation passes the header; no header means the request has no beta
    a = analyze(raw, betas=beta if beta is not None else ())
    errors = {f.rule for f in a.findings if f.severity == "error"}
    if status == 400:
        category = classify_error(response.content, 400).category
        assert category in errors, (category, sorted(errors))
    else:
        assert errors == set()
