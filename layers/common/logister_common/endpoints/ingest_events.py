"""POST /api/v1/ingest_events: one event or span, from request to stored record."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from logister_common.admission.pipeline import admit, answering
from logister_common.contract.envelopes import envelope
from logister_common.contract.errors import ApiError, Unprocessable
from logister_common.contract.event_ids import legacy_id
from logister_common.contract.grouping import group_key
from logister_common.contract.normalization import Event, Span, normalize
from logister_common.contract.payload_limits import check_event
from logister_common.edge.answers import Answer
from logister_common.edge.request import PublicRequest
from logister_common.runtime.clock import utc_now
from logister_common.runtime.settings import get_settings
from logister_common.runtime.telemetry import count
from logister_common.storage import documents, events_table, payload_bucket, write_failures
from logister_common.storage.events_table import SPAN_SIGNAL, WriteResult

if TYPE_CHECKING:  # annotations only: the request path never imports the declarations
    from logister_common.edge.response_bodies import EventAccepted, EventDuplicate

ENDPOINT = "ingest"
CROSS_SIGNAL = "Uuid has already been used for another telemetry signal"


def ingest_single(request: PublicRequest) -> Answer:
    caller = admit(request, ENDPOINT, wire_cap=True)
    with answering(caller):
        raw_event = envelope(request.json_document(), "event")
        check_event(raw_event)
        settings = get_settings()
        received_at = utc_now()
        record = normalize(
            raw_event,
            project_id=caller.project_id,
            default_environment=settings.default_environment,
            now=received_at,
        )
        if isinstance(record, Event) and record.event_type == "check_in":
            from logister_common.endpoints.check_in_writes import store_check_in_event  # rare path: imported on use

            result = store_check_in_event(caller.project_id, record, received_at)
        else:
            result = store(caller.project_id, record, received_at)
    return Answer(*_accepted(record, result), headers=caller.rate_limit_headers)


def store(
    project_id: str, record: Event | Span, received_at: datetime, monitor_put: dict[str, Any] | None = None
) -> WriteResult:
    """Write the record once; a duplicate returns the original, a uuid of the other signal is a 422.

    A check-in's `monitor_put` commits in the same transaction as its event.
    """
    settings = get_settings()
    expires_at = int(received_at.timestamp()) + settings.event_retention_days * 86_400
    document = documents.encode(documents.record_document(record))
    s3_key = payload_bucket.put_payload(project_id, record.uuid, document.overflow) if document.overflow else None
    try:
        if isinstance(record, Span):
            result = events_table.put_span(
                events_table.span_put(project_id, record, document, s3_key, received_at, expires_at)
            )
            expected_signal = SPAN_SIGNAL
        else:
            group = group_key(record) if record.event_type == "error" else None
            put = events_table.event_put(project_id, record, document, s3_key, received_at, expires_at, group)
            result = events_table.put_event(put) if monitor_put is None else events_table.put_check_in(put, monitor_put)
            expected_signal = events_table.EVENT_SIGNAL
    except ApiError as error:
        if s3_key and write_failures.not_applied(error.__cause__):
            payload_bucket.discard_payloads([s3_key])
        raise
    if s3_key and not result.created and not _points_at(result.existing, s3_key):
        payload_bucket.discard_payloads([s3_key])  # a duplicate or the other signal's uuid: the stored item wins
    if result.signal != expected_signal:
        count("rejected_cross_signal")
        raise Unprocessable(CROSS_SIGNAL)
    count(f"accepted_{'span' if isinstance(record, Span) else record.event_type}" if result.created else "duplicate")
    return result


def _points_at(item: dict[str, Any] | None, s3_key: str) -> bool:
    """Whether the stored item is this attempt's own (an earlier, timed-out try of the same put)."""
    return item is not None and item.get("doc_s3", {}).get("S") == s3_key


def _accepted(record: Event | Span, result: WriteResult) -> tuple[int, EventAccepted | EventDuplicate]:
    accepted: EventAccepted = {"id": result.uuid, "legacy_id": legacy_id(result.uuid), "status": "accepted"}
    if isinstance(record, Span):
        accepted["type"] = "span"
    if result.created:
        return 201, accepted
    duplicate: EventDuplicate = {**accepted, "duplicate": True}
    return 200, duplicate
