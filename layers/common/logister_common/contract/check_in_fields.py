"""Check-ins on the wire: Logister's compact `check_in` envelope (contract §3) and the check-in a
`check_in` event carries in its context (contract §7). Pure.

Rails' ParamsWrapper also wraps every root key of a JSON body under `check_in`, so an un-enveloped
body is a candidate too; the first candidate with a recognized key is used.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, NamedTuple

from logister_common.contract.errors import BadRequest, Unprocessable
from logister_common.contract.event_ids import InvalidUuid, client_uuid, random_uuid
from logister_common.contract.key_casing import underscore
from logister_common.contract.monitor_config import TOP_LEVEL_FIELDS, MonitorConfig, config_from_wire
from logister_common.contract.normalization import Event, write_telemetry_evidence
from logister_common.contract.ruby_values import is_blank, to_f, to_i, to_text
from logister_common.contract.times import parse_time_or_none

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
        "check_in_id",
        "run_id",
        *TOP_LEVEL_FIELDS,
    }
)
CONFIG_KEY = "monitor_config"  # an object: the one non-scalar field kept
MISSING = {"error": "param is missing or the value is empty or invalid: check_in"}

# The statuses a monitor takes (contract §7); a check-in's status is "error" or anything else (ok).
OK, ERROR, MISSED = "ok", "error", "missed"
DEFAULT_INTERVAL_SECONDS = 300
# Our bounds (Logister has none): a longer interval is clamped to a year, so a due time stays a real
# date; an occurred_at further ahead than a day is treated as unusable (receive time), so one
# far-future check-in cannot keep its monitor from ever being missed.
MAX_INTERVAL_SECONDS = 365 * 24 * 3600
MAX_FUTURE_SKEW = timedelta(days=1)
# Logister quirk, kept on purpose (contract §1.10, §7): a check-in *event* without an environment belongs to
# "production", not to the server's default environment that /api/v1/check_ins falls back to.
DEFAULT_EVENT_ENVIRONMENT = "production"
# DynamoDB sort keys stop at 1 KB: a monitor's key holds its environment and its slug.
MAX_KEY_PART_BYTES = 256
RUN_ID_MAX_CHARS = 128


def monitor_limit_reached(cap: int) -> str:
    """The 422 error for a check-in that would create a monitor beyond the project's cap (ours, not Logister's)."""
    return f"Monitor limit reached: a project can have at most {cap} monitors (slug and environment pairs)"


class CheckIn(NamedTuple):
    """What a check-in tells its monitor."""

    slug: str
    environment: str
    status: str
    occurred_at: datetime
    interval_seconds: int
    event_id: str
    received_at: datetime | None = None  # orders check-ins with the same occurred_at (None: occurred_at)
    run_id: str | None = None  # pairs an in_progress check-in with the one that finishes its run
    duration_ms: float | None = None
    config: MonitorConfig | None = None  # an upsert of the monitor's configuration


def interval_from(value: Any) -> int:
    """`to_i` when > 0, else 300 (strings are cast, floats truncated); at most MAX_INTERVAL_SECONDS."""
    interval = to_i(value)
    return min(interval, MAX_INTERVAL_SECONDS) if interval > 0 else DEFAULT_INTERVAL_SECONDS


def check_in_time(value: Any, now: datetime) -> datetime:
    """Contract §3's occurred_at (unusable: now), with a far-future time unusable too."""
    occurred_at = parse_time_or_none(value)
    return now if occurred_at is None else _not_far_ahead(occurred_at, now)


def _not_far_ahead(occurred_at: datetime, received_at: datetime) -> datetime:
    return occurred_at if occurred_at <= received_at + MAX_FUTURE_SKEW else received_at


def fits_key(part: str) -> bool:
    return len(part.encode("utf-8", "surrogatepass")) <= MAX_KEY_PART_BYTES


def check_in_fields(document: Any) -> dict[str, Any]:
    """The permitted scalar fields of the first qualifying candidate, keys normalized; else 400."""
    if isinstance(document, dict):
        wrapped = document.get("check_in", document)  # ParamsWrapper wraps the root unless it has check_in
        for candidate in (wrapped, document.get("CHECK_IN")):
            if isinstance(candidate, dict) and any(underscore(str(key)) in RECOGNIZED_KEYS for key in candidate):
                fields = {underscore(str(key)): value for key, value in candidate.items()}
                kept = {
                    key: value
                    for key, value in fields.items()
                    if key in RECOGNIZED_KEYS and (value is None or isinstance(value, str | int | float | bool))
                }
                if CONFIG_KEY in fields:
                    kept[CONFIG_KEY] = fields[CONFIG_KEY]
                return kept
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
    status = _stripped(fields.get("status")) or OK
    environment = _stripped(fields.get("environment")) or default_environment
    if not fits_key(slug) or not fits_key(environment):
        raise Unprocessable(f"Slug and environment must each be at most {MAX_KEY_PART_BYTES} bytes")
    occurred_at = check_in_time(fields.get("occurred_at"), now)
    interval = interval_from(fields.get("expected_interval_seconds"))
    duration = to_f(fields.get("duration_ms"))
    run_id = run_id_of(fields)
    config = config_from_wire(fields.get(CONFIG_KEY), {key: fields[key] for key in TOP_LEVEL_FIELDS if key in fields})
    context = {
        "environment": environment,
        "release": _stripped(fields.get("release")),
        "check_in_slug": slug,
        "check_in_status": status,
        "expected_interval_seconds": interval,
        "duration_ms": duration if duration > 0 else None,
        "trace_id": _stripped(fields.get("trace_id")),
        "request_id": _stripped(fields.get("request_id")),
        "check_in_id": run_id,
        CONFIG_KEY: fields.get(CONFIG_KEY) if config is not None else None,
    }
    stored_context = {key: value for key, value in context.items() if value is not None}
    # As Logister's check-in route: its time is the client's occurred_at or now, so always "exact".
    write_telemetry_evidence(stored_context, occurred_at.isoformat(), received_at=now)
    event = Event(
        uuid=identity or random_uuid(),
        event_type="check_in",
        message=slug,
        occurred_at=occurred_at,
        context=stored_context,
        level="error" if status == ERROR else "info",
    )
    check_in = CheckIn(
        slug=slug,
        environment=environment,
        status=status,
        occurred_at=occurred_at,
        interval_seconds=interval,
        event_id=event.uuid,
        received_at=now,
        run_id=run_id,
        duration_ms=duration if duration > 0 else None,
        config=config,
    )
    return event, check_in


def run_id_of(fields: dict[str, Any]) -> str | None:
    """The client's run id (`check_in_id`, or `run_id`), at most RUN_ID_MAX_CHARS."""
    for key in ("check_in_id", "run_id"):
        value = _stripped(fields.get(key))
        if value:
            return value[:RUN_ID_MAX_CHARS]
    return None


def _stripped(value: Any) -> str | None:
    return None if is_blank(value) else to_text(value).strip()


def check_in_from_context(
    message: str, context: dict[str, Any], occurred_at: datetime, event_id: str, received_at: datetime
) -> CheckIn | None:
    """The monitor update a `check_in` event sent through /api/v1/ingest_events carries (contract §7).

    The event keeps its occurred_at (§1.7: no clamping); its monitor takes the receive time instead
    of one more than MAX_FUTURE_SKEW ahead, as /api/v1/check_ins does.
    """
    slug = to_text(context.get("check_in_slug")).strip() or message.strip()
    environment_value = context.get("environment")
    environment = to_text(environment_value).strip() if not is_blank(environment_value) else DEFAULT_EVENT_ENVIRONMENT
    if not slug or not fits_key(slug) or not fits_key(environment):
        return None  # Logister ignores blank slugs; keys DynamoDB cannot hold are ignored the same way
    status = context.get("check_in_status")
    if is_blank(status):
        status = context.get("status")
    duration = to_f(context.get("duration_ms"))
    return CheckIn(
        slug=slug,
        environment=environment,
        status=to_text(status).strip() if not is_blank(status) else OK,
        occurred_at=_not_far_ahead(occurred_at, received_at),
        interval_seconds=interval_from(context.get("expected_interval_seconds")),
        event_id=event_id,
        received_at=received_at,
        run_id=run_id_of({key: context.get(key) for key in ("check_in_id", "run_id")}),
        duration_ms=duration if duration > 0 else None,
        config=config_from_wire(context.get(CONFIG_KEY)),
    )
