"""Error bodies in the real API's wire format, and the exception validators raise."""

from __future__ import annotations

from dataclasses import dataclass, field

# HTTP status -> API error.type (SDK types/shared/error_type.py)
ERROR_TYPES: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


@dataclass
class ApiError(Exception):
    """An error the mock answers with: HTTP status, API message and the enforced rule id (if any)."""

    status: int
    message: str
    rule: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    details: dict[str, object] | None = None  # error.details, e.g. {"error_code": "thread_not_found"}

    def __str__(self) -> str:
        return f"{self.status} {self.rule or ''}: {self.message}"

    @property
    def error_type(self) -> str:
        return ERROR_TYPES.get(self.status, "api_error")


class ShapeError(ApiError):
    """A request-shape violation: HTTP 400 invalid_request_error naming the enforced rule."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(400, message, rule)


def error_body(
    error_type: str, message: str, request_id: str | None, details: dict[str, object] | None = None
) -> dict:
    """`{"type":"error","error":{"type":...,"message":...},"request_id":...}`."""
    body: dict = {"type": "error", "error": {"type": error_type, "message": message}}
    if details:
        body["error"]["details"] = details
    if request_id is not None:
        body["request_id"] = request_id
    return body
