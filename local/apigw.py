"""API Gateway HTTP API, payload format 2.0: the event a request becomes, and the response a result becomes.

https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
"""

from __future__ import annotations

import base64
import json
import os
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from .template import ACCOUNT_ID

API_ID = "local"
STAGE = "$default"

NOT_FOUND = (404, {"message": "Not Found"})
# HTTP API answers a function error, or a result it cannot read, with this (REST APIs answer 502).
INTEGRATION_ERROR = (500, {"message": "Internal Server Error"})
TOO_LARGE = (413, {"message": "Request Entity Too Large"})

MAX_REQUEST_BODY_BYTES = 10 * 1024 * 1024  # HTTP API's payload quota
MAX_INVOKE_PAYLOAD_BYTES = 6 * 1024 * 1024  # Lambda's synchronous invocation limit, on the whole event


@dataclass(frozen=True, slots=True)
class HttpRequest:
    method: str
    target: str  # path and query string, as sent
    protocol: str  # HTTP/1.1
    headers: list[tuple[str, str]]  # in order, repeats kept
    body: bytes
    source_ip: str  # the TCP peer, never a client-supplied header
    source_port: int = 0
    server_port: int = 0


@dataclass(slots=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


def new_request_id() -> str:
    # API Gateway's request ids look like "JKJaXmPLvHcESHA=": 10 random bytes, base64.
    return base64.b64encode(os.urandom(10)).decode("ascii")


def _trace_id(epoch: float) -> str:
    return f"Root=1-{int(epoch):08x}-{uuid.uuid4().hex[:24]}"


def _is_text(body: bytes, headers: Mapping[str, str]) -> bool:
    # API Gateway base64-encodes binary bodies; a compressed body is binary whatever its bytes are.
    if headers.get("content-encoding", "identity").strip().lower() not in ("", "identity"):
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def build_event(
    request: HttpRequest, route_key: str, request_id: str | None = None, now: float | None = None
) -> dict[str, Any]:
    """The event API Gateway would hand the function for this request."""
    epoch = time.time() if now is None else now
    path, _, query = request.target.partition("?")
    cookies: list[str] = []
    headers: dict[str, str] = {}
    for raw_name, value in request.headers:
        name = raw_name.lower()
        if name == "cookie":  # format 2.0 moves cookies out of the headers into their own list
            cookies += [part.strip() for part in value.split(";") if part.strip()]
        else:
            headers[name] = f"{headers[name]},{value}" if name in headers else value
    # API Gateway appends the peer it saw to any X-Forwarded-For the client sent, and sets the rest.
    client_chain = headers.get("x-forwarded-for")
    headers["x-forwarded-for"] = f"{client_chain}, {request.source_ip}" if client_chain else request.source_ip
    headers["x-forwarded-port"] = str(request.server_port)
    headers["x-forwarded-proto"] = "http"
    headers.setdefault("x-amzn-trace-id", _trace_id(epoch))

    query_parameters: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        query_parameters[name] = f"{query_parameters[name]},{value}" if name in query_parameters else value

    domain_name = headers.get("host", "localhost").rsplit(":", 1)[0] or "localhost"
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if query_parameters:
        event["queryStringParameters"] = query_parameters
    event["requestContext"] = {
        "accountId": ACCOUNT_ID,
        "apiId": API_ID,
        "domainName": domain_name,
        "domainPrefix": domain_name.split(".", 1)[0],
        "http": {
            "method": request.method,
            "path": path,
            "protocol": request.protocol,
            "sourceIp": request.source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": request_id or new_request_id(),
        "routeKey": route_key,
        "stage": STAGE,
        "time": datetime.fromtimestamp(epoch, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(epoch * 1000),
    }
    if request.body:
        if _is_text(request.body, headers):
            event["body"] = request.body.decode("utf-8")
            event["isBase64Encoded"] = False
        else:
            event["body"] = base64.b64encode(request.body).decode("ascii")
            event["isBase64Encoded"] = True
    else:
        event["isBase64Encoded"] = False
    return event


def json_response(status_and_body: tuple[int, Mapping[str, Any]]) -> HttpResponse:
    status, body = status_and_body
    return HttpResponse(
        status, [("Content-Type", "application/json")], json.dumps(body, separators=(",", ":")).encode()
    )


def _header_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def to_http_response(result: Any) -> HttpResponse:
    """Read a function's result as HTTP API does; raises ValueError for one it would reject."""
    if not (isinstance(result, dict) and "statusCode" in result):
        # Without statusCode, HTTP API takes the whole result as a JSON body with status 200.
        return HttpResponse(200, [("Content-Type", "application/json")], json.dumps(result).encode("utf-8"))
    status = result["statusCode"]
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise ValueError(f"invalid statusCode {status!r}")
    headers = [(str(name), _header_value(value)) for name, value in (result.get("headers") or {}).items()]
    # multiValueHeaders belongs to format 1.0; HTTP API ignores it in a 2.0 response.
    headers += [("Set-Cookie", str(cookie)) for cookie in _as_list(result.get("cookies"))]
    raw_body = result.get("body")
    if raw_body is None:
        body = b""
    elif result.get("isBase64Encoded"):
        body = base64.b64decode(raw_body)
    else:
        body = (raw_body if isinstance(raw_body, str) else json.dumps(raw_body)).encode("utf-8")
    return HttpResponse(status, headers, body)


def _as_list(value: Any) -> Iterable[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
