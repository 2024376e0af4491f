"""Reading a request body into the envelope Logister's controllers would see. Pure."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from logister_common.contract.errors import BadRequest


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json_body(headers: Mapping[str, str], body: bytes) -> Any:
    """The JSON document of a JSON request; None when the request is not JSON (as Rails: no params).

    A JSON content type with a body that does not parse answers 400, never a 500.
    """
    if not _is_json(headers.get("content-type", "")):
        return None
    if not body.strip():
        return None
    try:
        return json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BadRequest({"error": "request body is not valid JSON", "code": "invalid_json"}) from None


def envelope(document: Any, name: str) -> dict[str, Any]:
    """`params[:name] || params[:NAME]`, which must be a non-empty object, else 400."""
    if isinstance(document, dict):
        value = document.get(name)
        if value is None or value is False:
            value = document.get(name.upper())
        if isinstance(value, dict) and value:
            return value
    raise BadRequest({"error": f"param is missing or the value is empty or invalid: {name}"})


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")
