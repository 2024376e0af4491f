"""The HTTP edge shared by every public function: the request we read and the answers we give.

Exceptions raised by the shared package become HTTP answers here, in one place.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import ApiError, BadRequest, StoreUnavailable
from .telemetry import count, logger

JSON_CONTENT_TYPE = "application/json; charset=utf-8"


@dataclass(frozen=True, slots=True)
class PublicRequest:
    """What the pipeline needs of an API Gateway HTTP API (payload v2) request."""

    source_ip: str
    headers: Mapping[str, str]  # lowercase names
    body: bytes

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> PublicRequest:
        raw_body = event.get("body") or ""
        try:
            body = base64.b64decode(raw_body, validate=True) if event.get("isBase64Encoded") else raw_body.encode()
        except (binascii.Error, ValueError):
            raise BadRequest({"error": "request body is not valid base64", "code": "invalid_body"}) from None
        headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
        # The IP API Gateway saw on the connection; client-supplied headers (X-Forwarded-For) are ignored.
        source_ip = ((event.get("requestContext") or {}).get("http") or {}).get("sourceIp") or "unknown"
        return cls(source_ip=source_ip, headers=headers, body=body)


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: Mapping[str, Any]
    headers: Mapping[str, str] = field(default_factory=dict)

    def to_lambda(self) -> dict[str, Any]:
        """The API Gateway HTTP API (payload v2) response."""
        return {
            "statusCode": self.status,
            "headers": {**self.headers, "Content-Type": JSON_CONTENT_TYPE},
            "body": json.dumps(self.body, separators=(",", ":")),
            "isBase64Encoded": False,
        }


Route = Callable[[PublicRequest], Answer]


class Router:
    """Routes API Gateway route keys ("POST /api/v1/check_ins") to functions of a PublicRequest.

    Deliberately small: Powertools' resolver imports every resolver and event class it has (about
    50 ms of cold start here) to route two paths. Exceptions of the shared package become answers
    in one place, `answer_for`.
    """

    def __init__(self) -> None:
        self._routes: dict[str, Route] = {}

    def post(self, *paths: str) -> Callable[[Route], Route]:
        def register(route: Route) -> Route:
            for path in paths:
                self._routes[f"POST {path}"] = route
            return route

        return register

    def resolve(self, event: Mapping[str, Any]) -> dict[str, Any]:
        route = self._routes.get(event.get("routeKey", ""))
        if route is None:
            return Answer(404, {"error": "Not Found"}).to_lambda()
        try:
            answer = route(PublicRequest.from_event(event))
        except Exception as error:
            answer = answer_for(error)
        return answer.to_lambda()


def answer_for(error: Exception) -> Answer:
    """The one place exceptions become HTTP answers."""
    if isinstance(error, StoreUnavailable):
        logger.warning("store unavailable", extra={"store": error.store}, exc_info=True)
        count(f"unavailable_{error.store}")
        return Answer(error.status, error.body, error.headers)
    if isinstance(error, ApiError):
        count(f"rejected_{error.body.get('code') or type(error).__name__}")
        return Answer(error.status, error.body, error.headers)
    logger.exception("unhandled error")
    return Answer(500, {"error": "Internal server error"})
