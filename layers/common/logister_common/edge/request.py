"""The request every public route reads: what the pipeline needs of an API Gateway HTTP API event."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from logister_common.contract.envelopes import parse_json_body
from logister_common.contract.errors import BadRequest


@dataclass(slots=True)
class Admission:
    """What admission learnt of the caller, for the rejection log (edge/rejections.py)."""

    endpoint: str | None = None  # the rate-limit endpoint label: ingest, check_in, deployment
    token_id: str | None = None  # a valid token's id (never the token)
    project_id: str | None = None
    auth_failure: str | None = None  # why a 401: missing_api_key, invalid_api_key, revoked_api_key


@dataclass(slots=True)
class PublicRequest:
    """An API Gateway HTTP API (payload v2) request: source IP, lowercase headers, body bytes."""

    source_ip: str
    headers: Mapping[str, str]  # lowercase names
    body: bytes
    admission: Admission = field(default_factory=Admission)
    # (document, None) or (None, the 400) once json_document() has read the body.
    _json: tuple[Any, BadRequest | None] | None = field(default=None, repr=False)

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

    def json_document(self) -> Any:
        """parse_json_body of this request, read once: the rejection log reuses the endpoint's reading."""
        if self._json is None:
            try:
                self._json = (parse_json_body(self.headers, self.body), None)
            except BadRequest as invalid:
                self._json = (None, invalid)
        document, invalid_json = self._json
        if invalid_json is not None:
            raise invalid_json
        return document
