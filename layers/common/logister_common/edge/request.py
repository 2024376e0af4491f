"""The request every public route reads: what the pipeline needs of an API Gateway HTTP API event."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from logister_common.contract.errors import BadRequest


@dataclass(frozen=True, slots=True)
class PublicRequest:
    """An API Gateway HTTP API (payload v2) request: source IP, lowercase headers, body bytes."""

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
