"""The answers the contract defines other than success; each knows its status and body, and
edge/answers.py turns them into HTTP answers in one place."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An answer other than success: status, JSON body and headers."""

    status: int = 400

    def __init__(self, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        super().__init__(body.get("error") or body.get("errors"))
        self.body = body
        self.headers: dict[str, str] = dict(headers or {})


class BadRequest(ApiError):
    status = 400


class Unauthorized(ApiError):
    status = 401

    def __init__(self, headers: dict[str, str] | None = None) -> None:
        super().__init__({"error": "Unauthorized"}, headers)


class PayloadTooLarge(ApiError):
    status = 413


class Unprocessable(ApiError):
    status = 422

    def __init__(self, *messages: str, headers: dict[str, str] | None = None) -> None:
        super().__init__({"errors": list(messages)}, headers)


class RateLimited(ApiError):
    status = 429


class StoreUnavailable(ApiError):
    """A store failed (throttling, 5xx, timeout): nothing was accepted, so the client should retry."""

    status = 503
    retry_after_seconds = 1

    def __init__(self, store: str) -> None:
        super().__init__(
            {"error": "Service temporarily unavailable, retry later", "code": "store_unavailable"},
            {"Retry-After": str(self.retry_after_seconds)},
        )
        self.store = store
