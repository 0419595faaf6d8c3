"""The analysis core and the mock were written separately from the same reference. For every enforced
rule's fixture: ``claude_otel.core.analyze`` predicts an error with that rule id before sending, and
``classify_error`` maps the mock's real-format 400 back to the same id. Known disagreements are listed
with their reason and fail loudly (strict xfail) once they are resolved."""

from __future__ import annotations

import pytest
from mockutil import VIOLATIONS, load, post

from claude_otel.core import analyze, classify_error
from claude_otel.mock import MockServer

FIXTURES = sorted(p.stem for p in VIOLATIONS.glob("*.json"))

# stateful rules: analyze() of one body cannot know which thinking blocks the API issued; the
# instrumentation's cross-turn state (or nobody, for signatures) predicts them
STATEFUL = {
    "thinking_modified": "needs the thinking blocks of the previous response (instrumentation state)",
    "thinking_signature_invalid": "a signature's validity is only known to the server that issued it",
}
# same error text, different rule: the reference gives A2 the A1 text, so the core predicts A2 and
# the classifier (which only sees the text) answers A1
PREDICTED_AS = {"tool_result_missing--text_before_results": "tool_result_not_first"}
DISAGREEMENTS: dict[str, str] = {}


def rule_of(stem: str) -> str:
    return stem.split("--")[0]


def _params() -> list:
    params = []
    for stem in FIXTURES:
        marks = []
        if stem in DISAGREEMENTS:
            marks.append(pytest.mark.xfail(reason=DISAGREEMENTS[stem], strict=True))
        params.append(pytest.param(stem, marks=marks, id=stem))
    return params


@pytest.mark.parametrize("stem", _params())
def test_core_predicts_the_rule_the_mock_enforces(stem: str) -> None:
    rule = rule_of(stem)
    if rule in STATEFUL:
        pytest.skip(STATEFUL[rule])
    analysis = analyze(load(VIOLATIONS / f"{stem}.json"))
    errors = {f.rule for f in analysis.findings if f.severity == "error"}
    assert analysis.predicted == "error"
    assert PREDICTED_AS.get(stem, rule) in errors, sorted(errors)


@pytest.mark.parametrize("stem", FIXTURES)
def test_classifier_maps_the_mock_answer_back_to_the_rule(server: MockServer, stem: str) -> None:
    response = post(server, load(VIOLATIONS / f"{stem}.json"))
    assert response.status_code == 400
    classification = classify_error(response.content, response.status_code)
    assert classification.family == "4xx"
    assert classification.error_type == "invalid_request_error"
    assert classification.category == rule_of(stem)
    assert classification.request_id == response.headers["request-id"]


def _budget_over_max_tokens_with_tools() -> dict:
    body = load(VIOLATIONS.parent.parent / "mock" / "lookalikes" / "thinking_budget.json")
    return {**body, "thinking": {"type": "enabled", "budget_tokens": 8000}, "max_tokens": 4000}


def _image_between_limits() -> dict:
    body = load(VIOLATIONS / "image_too_large.json")
    body["messages"][0]["content"][0]["source"]["data"] = "A" * 6_000_000  # > 5 MB base64, < 5 MB decoded
    return body


BOUNDARIES = {
    # agreed once the core knows the request's betas: post() sends no anthropic-beta header
    "thinking_budget": (_budget_over_max_tokens_with_tools, None),
    "image_too_large": (_image_between_limits, None),  # agreed: both measure the base64 string
}


@pytest.mark.parametrize(
    "rule",
    [
        pytest.param(r, marks=[pytest.mark.xfail(reason=why, strict=True)] if why else [])
        for r, (_, why) in BOUNDARIES.items()
    ],
)
def test_boundary_cases_where_core_and_mock_differ(server: MockServer, rule: str) -> None:
    body = BOUNDARIES[rule][0]()
    response = post(server, body)
    assert response.status_code == 400
    assert classify_error(response.content, 400).category == rule
    analysis = analyze(body, betas=())  # what the hooks pass for a request without an anthropic-beta header
    assert rule in {f.rule for f in analysis.findings}, "the core notices the case at least as a warning"
    assert rule in {f.rule for f in analysis.findings if f.severity == "error"}
