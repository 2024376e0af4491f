"""The HTTP edge shared by every public function: the request we read and the answers we give.

Exceptions raised by the shared package become HTTP answers here, in one place.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

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


def json_response(status: int, body: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        status_code=status,
        content_type=JSON_CONTENT_TYPE,
        body=json.dumps(body, separators=(",", ":")),
        headers=dict(headers or {}),
    )


def register_error_handlers(app: APIGatewayHttpResolver) -> None:
    """Map the shared package's exceptions to answers: never a stack trace on the wire."""

    @app.exception_handler(StoreUnavailable)
    def store_unavailable(error: StoreUnavailable) -> Response:
        logger.exception("store unavailable", extra={"store": error.store})
        return json_response(error.status, error.body, error.headers)

    @app.exception_handler(ApiError)
    def api_error(error: ApiError) -> Response:
        count(f"rejected_{error.body.get('code') or type(error).__name__}")
        return json_response(error.status, error.body, error.headers)

    @app.exception_handler(Exception)
    def unexpected(error: Exception) -> Response:
        logger.exception("unhandled error")
        return json_response(500, {"error": "Internal server error"})

    @app.not_found
    def not_found(_: Exception) -> Response:
        return json_response(404, {"error": "Not Found"})
