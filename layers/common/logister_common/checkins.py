"""POST /api/v1/check_ins: reading Logister's compact check-in envelope (section 3). Pure.

Rails' ParamsWrapper also wraps every root key of a JSON body under `check_in`, so an un-enveloped
body is a candidate too; the first candidate with a recognized key is used.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .errors import BadRequest, Unprocessable
from .identity import InvalidUuid, client_uuid, random_uuid
from .keys import underscore
from .monitors import MAX_KEY_PART_BYTES, CheckIn, fits_key, interval_from
from .normalize import Event
from .timeparse import parse_time_or_none
from .values import is_blank, to_f, to_text

RECOGNIZED_KEYS = frozenset(
    {
        "slug",
        "status",
        "occurred_at",
        "environment",
        "release",
        "expected_interval_seconds",
        "duration_ms",
        "trace_id",
        "request_id",
        "uuid",
        "event_id",
    }
)
MISSING = {"error": "param is missing or the value is empty or invalid: check_in"}


def check_in_fields(document: Any) -> dict[str, Any]:
    """The permitted scalar fields of the first qualifying candidate, keys normalized; else 400."""
    if isinstance(document, dict):
        wrapped = document.get("check_in", document)  # ParamsWrapper wraps the root unless it has check_in
        for candidate in (wrapped, document.get("CHECK_IN")):
            if isinstance(candidate, dict) and any(underscore(str(key)) in RECOGNIZED_KEYS for key in candidate):
                fields = {underscore(str(key)): value for key, value in candidate.items()}
                return {
                    key: value
                    for key, value in fields.items()
                    if key in RECOGNIZED_KEYS and (value is None or isinstance(value, str | int | float | bool))
                }
    raise BadRequest(MISSING)


def check_in_event(fields: dict[str, Any], *, default_environment: str, now: datetime) -> tuple[Event, CheckIn]:
    """The stored check_in event and the monitor update it carries; 422 with Logister's messages."""
    try:
        identity = client_uuid(fields)
    except InvalidUuid:
        raise Unprocessable("Uuid is invalid") from None
    slug = _stripped(fields.get("slug"))
    if not slug:
        raise Unprocessable("Message can't be blank")
    status = _stripped(fields.get("status")) or "ok"
    environment = _stripped(fields.get("environment")) or default_environment
    if not fits_key(slug) or not fits_key(environment):
        raise Unprocessable(f"Slug and environment must each be at most {MAX_KEY_PART_BYTES} bytes")
    occurred_at = parse_time_or_none(fields.get("occurred_at")) or now
    interval = interval_from(fields.get("expected_interval_seconds"))
    duration = to_f(fields.get("duration_ms"))
    context = {
        "environment": environment,
        "release": _stripped(fields.get("release")),
        "check_in_slug": slug,
        "check_in_status": status,
        "expected_interval_seconds": interval,
        "duration_ms": duration if duration > 0 else None,
        "trace_id": _stripped(fields.get("trace_id")),
        "request_id": _stripped(fields.get("request_id")),
    }
    event = Event(
        uuid=identity or random_uuid(),
        event_type="check_in",
        message=slug,
        occurred_at=occurred_at,
        context={key: value for key, value in context.items() if value is not None},
        level="error" if status == "error" else "info",
    )
    check_in = CheckIn(
        slug=slug,
        environment=environment,
        status=status,
        occurred_at=occurred_at,
        interval_seconds=interval,
        event_id=event.uuid,
    )
    return event, check_in


def _stripped(value: Any) -> str | None:
    return None if is_blank(value) else to_text(value).strip()
