"""Reading a request body into the envelope Logister's controllers would see. Pure."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from logister_common.contract.errors import BadRequest

# A \uD800-\uDFFF escape: the only way a decoded body can hold a surrogate, alone or in a pair.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):  # 1e400: json would make it inf, which no store or JSON answer can hold
        raise ValueError(f"{text} is not a finite number")
    return number


def load_json(text: str) -> Any:
    """json.loads, refusing what cannot be stored or answered as JSON: NaN, Infinity, numbers that
    overflow to them, and lone surrogate escapes ("\\ud800", no character: UTF-8 cannot encode it).

    Raises ValueError (or RecursionError for nesting the parser cannot follow).
    """
    document = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    if _SURROGATE_ESCAPE.search(text) and _holds_lone_surrogate(document):
        raise ValueError("lone surrogate escape")
    return document


def _holds_lone_surrogate(document: Any) -> bool:
    """Any key or string that UTF-8 cannot encode; iterative, as the document may be deep."""
    pending = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if not _encodable(value):
                return True
        elif isinstance(value, dict):
            if not all(_encodable(key) for key in value):
                return True
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return False


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse_json_body(headers: Mapping[str, str], body: bytes) -> Any:
    """The JSON document of a JSON request; None when the request is not JSON (as Rails: no params).

    A JSON content type with a body that does not parse (or that load_json refuses) answers 400, never a 500.
    """
    if not _is_json(headers.get("content-type", "")):
        return None
    if not body.strip():
        return None
    try:
        return load_json(body.decode("utf-8"))
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
