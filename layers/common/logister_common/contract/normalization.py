"""Turning a raw `event` envelope into the event or span Logister would store. Pure.

The rules (and their Ruby quirks) are contract §1.2 to §1.8; each step below names the
rule it implements.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from logister_common.contract.errors import Unprocessable
from logister_common.contract.event_ids import InvalidUuid, client_uuid, random_uuid, span_uuid
from logister_common.contract.key_casing import alias_context, normalize_top_level, short_key_cache, underscore
from logister_common.contract.ruby_values import (
    SATURATED_INT,
    first_present,
    first_truthy,
    is_blank,
    is_present,
    to_f,
    to_text,
)
from logister_common.contract.times import OutOfRange, iso_utc, parse_time, parse_time_or_none

EVENT_TYPES = frozenset({"error", "metric", "transaction", "log", "check_in"})
# DynamoDB key attributes stop at 1-2 KB: longer trace and span ids are refused, not truncated.
MAX_ID_BYTES = 512
SPAN_KINDS = frozenset({"app", "browser", "cache", "db", "http", "internal", "queue", "render", "resource", "server"})

# Context key <- top-level sources in priority order, combined with Ruby `||` (contract §1.4).
_COPIED_INTO_CONTEXT: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("release", ("release",)),
    ("trace_id", ("trace_id",)),
    ("request_id", ("request_id",)),
    ("session_id", ("session_id",)),
    ("user_id", ("user_id",)),
    ("commit_sha", ("commit_sha", "sha")),
    ("repository", ("repository", "repo", "github_repository")),
    ("branch", ("branch",)),
    ("transaction_name", ("transaction_name",)),
    ("duration_ms", ("duration_ms",)),
    ("expected_interval_seconds", ("expected_interval_seconds",)),
    ("check_in_slug", ("check_in_slug", "monitor_slug")),
    ("telemetry_schema_version", ("telemetry_schema_version",)),
    ("error_mechanism", ("error_mechanism", "mechanism")),
    ("handled", ("handled",)),
    ("in_foreground", ("in_foreground",)),
    ("installation_id_hash", ("installation_id_hash",)),
)
# Span field <- sources in priority order, the first present one wins (contract §1.6); `trace` is the
# context's `trace` object.
_SPAN_SOURCES: dict[str, tuple[tuple[str, str], ...]] = {
    "trace_id": (("top", "trace_id"), ("context", "trace_id"), ("context", "traceId"), ("trace", "traceId")),
    "span_id": (("top", "span_id"), ("context", "span_id"), ("context", "spanId"), ("trace", "spanId")),
    "parent_span_id": (
        ("top", "parent_span_id"),
        ("context", "parent_span_id"),
        ("context", "parentSpanId"),
        ("trace", "parentSpanId"),
    ),
    "name": (("top", "name"), ("top", "message"), ("context", "name"), ("context", "span_name")),
    "kind": (
        ("top", "kind"),
        ("top", "span_kind"),
        ("context", "kind"),
        ("context", "span_kind"),
        ("context", "spanKind"),
    ),
    "status": (("top", "status"), ("context", "status")),
    "duration_ms": (("top", "duration_ms"), ("context", "duration_ms"), ("context", "durationMs")),
    "started_at": (("top", "started_at"), ("top", "occurred_at"), ("context", "started_at"), ("context", "startedAt")),
    "ended_at": (("top", "ended_at"), ("context", "ended_at"), ("context", "endedAt")),
}
_STATUS_TARGET = {"transaction": "transaction_status", "check_in": "check_in_status"}

_EVIDENCE_KEYS = (
    "source",
    "kind",
    "capture_mode",
    "evidence_kind",
    "identity_scope",
    "occurred_at",
    "reporting_start",
    "reporting_end",
)
_EVIDENCE_NESTED = {"reporting_period": ("start", "end"), "producer": ("sdk_name", "sdk_version", "decoder_version")}

# Device identifiers Logister deletes anywhere in a context (compared lowercase, alphanumerics only).
_DEVICE_IDENTIFIERS = frozenset(
    {
        "advertisingid",
        "advertisingidentifier",
        "androidid",
        "deviceserial",
        "hardwareid",
        "hardwareserial",
        "imei",
        "meid",
        "serial",
        "serialnumber",
        "subscriberid",
        "idfa",
        "idfv",
        "identifierforvendor",
    }
)
_MOBILE_PLATFORMS = frozenset({"android", "ios"})
_MAX_MOBILE_BREADCRUMBS = 100
_MAX_MOBILE_FEATURE_FLAGS = 50

# Where occurred_at is looked for when the client sent none (contract §1.7), after the client value: the
# paths Logister's TelemetryEvidenceNormalizer reads (the only `begin` keys are the diagnostic's).
_OCCURRED_AT_PATHS = (("diagnostic", "occurred_at"), ("evidence", "occurred_at"))
_REPORTING_END_PATHS = (
    ("evidence", "reporting_period", "end"),
    ("evidence", "reporting_end"),
    ("diagnostic", "reporting_period", "end"),
    ("diagnostic", "reporting_end"),
    ("diagnostic", "time_stamp_end"),
    ("diagnostic", "timestamp_end"),
)
_REPORTING_START_PATHS = (
    ("evidence", "reporting_period", "start"),
    ("evidence", "reporting_start"),
    ("diagnostic", "reporting_period", "start"),
    ("diagnostic", "reporting_start"),
    ("diagnostic", "time_stamp_begin"),
    ("diagnostic", "timestamp_begin"),
)

# context.telemetry_evidence, as Logister's TelemetryEvidenceNormalizer writes it.
TELEMETRY_EVIDENCE_SCHEMA_VERSION = 1
_INTERVAL_AGGREGATE_SOURCES = frozenset({"app_store_connect", "google_play", "aggregate"})
_EVIDENCE_KIND_BY_KIND = {
    "crash": "crashed_stack",
    "native_crash": "crashed_stack",
    "hang": "sampled_call_tree",
    "cpu_exception": "sampled_call_tree",
    "excessive_cpu": "sampled_call_tree",
    "disk_write_exception": "sampled_call_tree",
    "excessive_disk_writes": "sampled_call_tree",
    "launch_failure": "sampled_call_tree",
    "slow_launch": "sampled_call_tree",
    "watchdog_termination": "termination_metadata",
    "memory_termination": "termination_metadata",
    "memory_limit_termination": "memory_report",
    "memory_pressure_termination": "memory_report",
}
_NORMALIZATION = {"owner": "server", "normalizer": "TelemetryEvidenceNormalizer", "sensitive_key_filter_applied": True}
_RUBY_WHITESPACE = " \t\n\v\f\r\0"  # what Ruby's String#strip removes
_MAX_SCALAR_CHARACTERS = 128
_MAX_TOKEN_CHARACTERS = 80
_NOT_TOKEN_CHARACTERS = re.compile(r"[^a-z0-9_.]")
_OCTAL = re.compile(r"\s*[+-]?0[0-7]+(?:_[0-7]+)*\s*")


@dataclass(slots=True)
class Event:
    uuid: str
    event_type: str
    message: str
    occurred_at: datetime
    context: dict[str, Any]
    level: str | None = None
    fingerprint: str | None = None


@dataclass(slots=True)
class Span:
    uuid: str
    uuid_from_client: bool
    trace_id: str
    span_id: str
    name: str
    kind: str
    started_at: datetime
    ended_at: datetime
    duration_ms: float
    context: dict[str, Any] = field(default_factory=dict)
    parent_span_id: str | None = None
    status: str | None = None


def normalize(raw_event: dict[str, Any], *, project_id: str, default_environment: str, now: datetime) -> Event | Span:
    """The event or span for a raw envelope value (already checked against the payload limits).

    Raises Unprocessable (422) with Logister's messages.
    """
    top = normalize_top_level(raw_event)
    raw_context = top.get("context")
    context = alias_context(raw_context) if isinstance(raw_context, dict) else {}
    try:
        identity = client_uuid(top)
    except InvalidUuid:
        raise Unprocessable("Uuid is invalid") from None
    if top.get("event_type") == "span":
        return _span(top, context, identity, project_id, default_environment, now)
    return _event(top, context, identity, default_environment, now)


def _event(
    top: dict[str, Any], context: dict[str, Any], identity: str | None, default_environment: str, now: datetime
) -> Event:
    raw_type = top.get("event_type")
    event_type = raw_type if isinstance(raw_type, str) and raw_type in EVENT_TYPES else None
    message = _optional_text(top.get("message"))
    errors = []
    if event_type is None:
        errors.append("Event type is not included in the list")
    if is_blank(message):
        errors.append("Message can't be blank")
    if errors:
        raise Unprocessable(*errors)
    assert event_type is not None  # narrowed above

    _copy_into_context(top, context, event_type, default_environment)
    _strip_device_identifiers(context)
    _apply_mobile_caps(context)
    return Event(
        uuid=identity or random_uuid(),
        event_type=event_type,
        message=message or "",
        occurred_at=write_telemetry_evidence(context, top.get("occurred_at"), received_at=now),
        context=context,
        level=_optional_text(top.get("level")),
        fingerprint=_optional_text(top.get("fingerprint")),
    )


def _copy_into_context(top: dict[str, Any], context: dict[str, Any], event_type: str, default_environment: str) -> None:
    """Contract §1.4: a top-level value fills a blank context key when it is present."""

    def fill(key: str, value: Any) -> None:
        if is_blank(context.get(key)) and is_present(value):
            context[key] = value

    fill("environment", first_truthy(top.get("environment"), default_environment))
    for key, sources in _COPIED_INTO_CONTEXT:
        fill(key, first_truthy(*(top.get(source) for source in sources)))
    status_key = _STATUS_TARGET.get(event_type)
    if status_key:
        fill(status_key, first_truthy(top.get(status_key), top.get("status")))
    evidence = top.get("evidence")
    if not isinstance(context.get("evidence"), dict) and isinstance(evidence, dict):
        allowed = _allowed_evidence(alias_context(evidence))
        if allowed:
            context["evidence"] = allowed


def _allowed_evidence(evidence: dict[str, Any]) -> dict[str, Any]:
    allowed = {key: evidence[key] for key in _EVIDENCE_KEYS if key in evidence}
    for key, sub_keys in _EVIDENCE_NESTED.items():
        nested = evidence.get(key)
        if isinstance(nested, dict):
            allowed[key] = {sub: nested[sub] for sub in sub_keys if sub in nested}
    return allowed


def _strip_device_identifiers(value: Any) -> None:
    if isinstance(value, dict):
        for key in [key for key in value if _identity(key) in _DEVICE_IDENTIFIERS]:
            del value[key]
        for item in value.values():
            _strip_device_identifiers(item)
    elif isinstance(value, list):
        for item in value:
            _strip_device_identifiers(item)


@short_key_cache
def _identity(key: str) -> str:
    """Keys repeat across events (SDKs send the same shapes), so each short one is reduced once per container."""
    return "".join(character for character in key.lower() if character.isalnum())


def _apply_mobile_caps(context: dict[str, Any]) -> None:
    if context.get("platform") not in _MOBILE_PLATFORMS:
        return
    context.setdefault("telemetry_schema_version", 1)
    for key in ("breadcrumbs",):
        if isinstance(context.get(key), list):
            context[key] = context[key][-_MAX_MOBILE_BREADCRUMBS:]
    for key in ("feature_flags", "featureFlags"):
        if isinstance(context.get(key), list):
            context[key] = context[key][:_MAX_MOBILE_FEATURE_FLAGS]


def write_telemetry_evidence(context: dict[str, Any], client_occurred_at: Any, *, received_at: datetime) -> datetime:
    """Replace any client-sent `telemetry_evidence` with the server's (contract §1.4); return the event's
    occurred_at (contract §1.7): the client's, else the diagnostic's or evidence's, else the reporting
    period's end, then its start (both dropped when start > end), else the received time."""
    context.pop("telemetry_evidence", None)  # only the server may write it
    exact = _first_time(client_occurred_at, *(_dig(context, path) for path in _OCCURRED_AT_PATHS))
    start = _first_time(*(_dig(context, path) for path in _REPORTING_START_PATHS))
    end = _first_time(*(_dig(context, path) for path in _REPORTING_END_PATHS))
    if start is not None and end is not None and start > end:
        start = end = None
    if exact is not None:
        precision = "exact"
    elif start is not None or end is not None:
        precision = "reporting_interval"
    else:
        precision = "received_only"
    times = {"occurred_at": exact, "reporting_start": start, "reporting_end": end, "received_at": received_at}
    context["telemetry_evidence"] = _telemetry_evidence(context, precision, times)
    return exact or end or start or received_at


def _first_time(*values: Any) -> datetime | None:
    for value in values:
        parsed = parse_time_or_none(value)
        if parsed is not None:
            return parsed
    return None


def _telemetry_evidence(context: dict[str, Any], precision: str, times: dict[str, datetime | None]) -> dict[str, Any]:
    submitted, diagnostic, error = (_hash(context.get(key)) for key in ("evidence", "diagnostic", "error"))
    platform = context.get("platform")
    default_source = "sdk" if isinstance(platform, str) and platform.lower() in _MOBILE_PLATFORMS else "api"
    source = (
        _token(
            first_truthy(submitted.get("source"), diagnostic.get("source"), error.get("capture_source"), default_source)
        )
        or "unknown"
    )
    kind = _token(first_truthy(submitted.get("kind"), diagnostic.get("kind"), error.get("mechanism")))
    capture_mode = _token(
        first_truthy(submitted.get("capture_mode"), diagnostic.get("capture_mode"), error.get("capture_source"), source)
    )
    identity_scope = "interval_aggregate" if source in _INTERVAL_AGGREGATE_SOURCES else "occurrence"
    evidence_kind = (
        "aggregate_counter"
        if identity_scope == "interval_aggregate"
        else _EVIDENCE_KIND_BY_KIND.get(kind or "", "event_payload")
    )
    fatal = error.get("fatal")
    evidence = {
        "schema_version": TELEMETRY_EVIDENCE_SCHEMA_VERSION,
        "source": source,
        "kind": kind,
        "capture_mode": capture_mode,
        "evidence_kind": _token(submitted.get("evidence_kind")) or evidence_kind,
        "identity_scope": _token(submitted.get("identity_scope")) or identity_scope,
        "fatality": "fatal" if fatal is True else "nonfatal" if fatal is False else "unknown",
        "time": {"precision": precision}
        | {name: iso_utc(moment) for name, moment in times.items() if moment is not None},
        "producer": _producer(context, _hash(submitted.get("producer"))),
        "normalization": dict(_NORMALIZATION),
    }
    return {key: value for key, value in evidence.items() if value is not None}


def _producer(context: dict[str, Any], submitted: dict[str, Any]) -> dict[str, Any] | None:
    sdk = _hash(context.get("sdk"))
    values = {
        "sdk_name": _scalar(first_truthy(submitted.get("sdk_name"), sdk.get("name"))),
        "sdk_version": _scalar(first_truthy(submitted.get("sdk_version"), sdk.get("version"))),
        "telemetry_schema_version": _positive_integer(context.get("telemetry_schema_version")),
        "decoder_version": _scalar(submitted.get("decoder_version")),
    }
    present = {key: value for key, value in values.items() if value is not None}
    return present or None


def _hash(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _scalar(value: Any) -> str | None:
    """Ruby `to_s.strip.first(128).presence`, for strings and numbers only."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    text = to_text(value).strip(_RUBY_WHITESPACE)[:_MAX_SCALAR_CHARACTERS]
    return None if is_blank(text) else text


def _token(value: Any) -> str | None:
    """A scalar lowercased, spaces and dashes as underscores, then only [a-z0-9_.], at most 80 characters."""
    scalar = _scalar(value)
    if scalar is None:
        return None
    token = _NOT_TOKEN_CHARACTERS.sub("", scalar.lower().replace(" ", "_").replace("-", "_"))
    return token[:_MAX_TOKEN_CHARACTERS] or None


def _positive_integer(value: Any) -> int | None:
    """Ruby `Integer(value, exception: false)` when positive (saturated: a document must stay encodable)."""
    number: int | None = None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and math.isfinite(value):
        number = int(value)
    elif isinstance(value, str) and value.isascii():
        try:
            number = int(value, 0)  # 0x, 0o, 0b prefixes and underscores, as Ruby reads them
        except ValueError:
            number = int(value, 8) if _OCTAL.fullmatch(value) else None  # Ruby: a leading 0 means octal
    return min(number, SATURATED_INT) if number is not None and number > 0 else None


def _dig(value: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _span(
    top: dict[str, Any],
    context: dict[str, Any],
    identity: str | None,
    project_id: str,
    default_environment: str,
    now: datetime,
) -> Span:
    """Contract §1.6: each field from the first present source; unknown kinds become internal."""
    raw_trace = context.get("trace")
    trace = raw_trace if isinstance(raw_trace, dict) else {}
    scopes = {"top": top, "context": context, "trace": trace}
    found = {
        name: first_present(*(scopes[scope].get(key) for scope, key in sources))
        for name, sources in _SPAN_SOURCES.items()
    }
    trace_id = _optional_text(found["trace_id"])
    span_id = _optional_text(found["span_id"])
    parent_span_id = _optional_text(found["parent_span_id"])
    name = _optional_text(found["name"])
    raw_kind = found["kind"]
    raw_kind_text = _optional_text(raw_kind) or "internal"
    kind = underscore(raw_kind_text)
    status = _optional_text(found["status"])
    duration = to_f(found["duration_ms"])
    duration_ms = duration if duration > 0 else 0.0

    started_source = found["started_at"]
    try:
        started_at = parse_time(started_source) if started_source is not None else now
    except OutOfRange:
        started_at = now
    ended_source = found["ended_at"]
    ended_at = parse_time_or_none(ended_source) if ended_source is not None else None

    errors = []
    if trace_id is None:
        errors.append("Trace can't be blank")
    elif _too_long(trace_id):
        errors.append(f"Trace is too long (maximum is {MAX_ID_BYTES} bytes)")
    if span_id is None:
        errors.append("Span can't be blank")
    elif _too_long(span_id):
        errors.append(f"Span is too long (maximum is {MAX_ID_BYTES} bytes)")
    if started_at is None:
        errors.append("Started at can't be blank")
    if errors:
        raise Unprocessable(*errors)
    assert trace_id is not None and span_id is not None and started_at is not None  # narrowed above

    additions = {
        "trace_id": trace_id,
        "span_id": span_id,
        "parent_span_id": parent_span_id,
        "span_kind": raw_kind_text,
        "duration_ms": duration_ms,
        "environment": first_present(top.get("environment"), context.get("environment"), default_environment),
        "release": top.get("release"),
        "service": top.get("service"),
        "request_id": top.get("request_id"),
        "transaction_name": top.get("transaction_name"),
    }
    for key, value in additions.items():
        if is_blank(context.get(key)) and is_present(value):
            context[key] = value
    return Span(
        uuid=identity or span_uuid(project_id, trace_id, span_id),
        uuid_from_client=identity is not None,
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=parent_span_id,
        name=name or "span",
        kind=kind if kind in SPAN_KINDS else "internal",
        status=status,
        duration_ms=duration_ms,
        started_at=started_at,
        ended_at=ended_at or _plus_milliseconds(started_at, duration_ms),
        context=context,
    )


def _plus_milliseconds(moment: datetime, milliseconds: float) -> datetime:
    try:
        return moment + timedelta(milliseconds=milliseconds)
    except OverflowError:  # an absurd duration must not fail the request
        return datetime.max.replace(tzinfo=moment.tzinfo)


def _too_long(identifier: str) -> bool:
    return len(identifier.encode("utf-8", "surrogatepass")) > MAX_ID_BYTES


def _optional_text(value: Any) -> str | None:
    """A stored string field: strings kept, other present values printed, blanks None."""
    if is_blank(value):
        return None
    return to_text(value)
