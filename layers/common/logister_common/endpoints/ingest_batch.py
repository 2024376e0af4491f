"""POST /api/v1/ingest_events/batch: up to 100 events and spans, accepted all together or not at all.

Validation happens before any write, so an invalid entry stores nothing. Duplicates (already
stored, or repeated inside the batch) are found first (one BatchGetItem for uuids, the `traces`
index for span identities) and reported, not written. The new entries are written in one
TransactWriteItems, every batch the contract allows: one item per event or span (at most 100
actions), documents past the transaction's 4 MB budget in S3. The monitor updates of the batch's
check-ins join the transaction while actions remain; a check-in whose update does not fit carries
it in its event item, and the events stream applies it after the commit (within about a second).
Error groups are counted after acceptance, from the same stream.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from logister_common.admission.pipeline import Caller, admit, charge
from logister_common.contract.batch_lines import BatchLine, batch_id, check_media_type, decode
from logister_common.contract.check_in_fields import CheckIn, monitor_limit_reached
from logister_common.contract.errors import ApiError, StoreUnavailable, Unprocessable
from logister_common.contract.event_ids import legacy_id
from logister_common.contract.grouping import group_key
from logister_common.contract.key_casing import normalize_top_level
from logister_common.contract.normalization import Event, Span, normalize
from logister_common.edge.answers import Answer
from logister_common.edge.request import PublicRequest
from logister_common.endpoints.ingest_events import CROSS_SIGNAL
from logister_common.monitors.rules import Monitor
from logister_common.monitors.updates import MonitorWrite, apply_check_in, check_in_of, current_monitors, monitor_write
from logister_common.runtime.clock import utc_now
from logister_common.runtime.settings import get_settings
from logister_common.runtime.telemetry import count
from logister_common.storage import documents, events_table, payload_bucket, write_failures
from logister_common.storage.events_table import EVENT_SIGNAL, SPAN_SIGNAL
from logister_common.storage.monitors_table import monitor_key

if TYPE_CHECKING:  # annotations only: the request path never imports the declarations
    from logister_common.edge.response_bodies import (
        BatchAccepted,
        BatchBody,
        BatchEntryAccepted,
        BatchEntryFailed,
        BatchRejected,
        EntryType,
    )

ENDPOINT = "ingest"
ROLLED_BACK = "Batch was rolled back because another envelope was invalid"
MAX_ACTIONS = 100  # DynamoDB's per transaction; a batch holds at most 100 entries (MAX_EVENTS)
# DynamoDB allows 4 MB of items per transaction: documents past this budget go to S3, and the rest of an
# item is a few KB at most (ids of 512 bytes, indexed copies of 1 KB), so 100 items and their monitor
# updates stay under it.
MAX_INLINE_DOCUMENT_BYTES = 2_500_000
_WRITE_ATTEMPTS = 3


@dataclass(slots=True)
class Entry:
    line: BatchLine
    kind: EntryType  # as the results report it
    record: Event | Span | None = None
    errors: list[str] = field(default_factory=list)
    duplicate_of: str | None = None  # the stored (or earlier in-batch) uuid this entry repeats
    repeat: bool = False  # repeats an earlier entry of this batch
    check_in: CheckIn | None = None  # the monitor update a check_in event carries


def ingest_batch(request: PublicRequest) -> Answer:
    caller = admit(request, ENDPOINT, wire_cap=False)
    identifier = batch_id(request.headers)
    try:
        check_media_type(request.headers)
        lines = decode(request.body, request.headers.get("content-encoding"))
        if len(lines) > 1:
            caller = charge(caller, ENDPOINT, len(lines) - 1)
        status, body = _accept(caller, lines, identifier)
    except ApiError as error:
        error.headers = {**caller.rate_limit_headers, **error.headers}
        raise
    return Answer(status, body, caller.rate_limit_headers)


def _accept(
    caller: Caller, lines: list[BatchLine], identifier: str | None
) -> tuple[int, BatchAccepted | BatchRejected]:
    settings = get_settings()
    received_at = utc_now()
    entries = [_normalized(line, caller.project_id, settings.default_environment, received_at) for line in lines]
    for attempt in range(_WRITE_ATTEMPTS):
        _find_duplicates(caller.project_id, entries)
        monitors: dict[str, Monitor | None] = {}
        if not any(entry.errors for entry in entries):
            monitors = _admit_monitors(caller.project_id, entries)  # before any write: a refused monitor rejects
        if any(entry.errors for entry in entries):
            count("rejected_batch")
            return 422, _rejected(entries, identifier)
        new = [entry for entry in entries if entry.duplicate_of is None]
        try:
            _write_new(
                caller.project_id, new, _monitor_writes(caller.project_id, new, monitors, received_at), received_at
            )
        except _RaceLost:
            if attempt + 1 == _WRITE_ATTEMPTS:
                raise StoreUnavailable("events") from None
            continue  # another writer stored some of these meanwhile: look again
        break
    for entry in entries:
        # New check-ins updated their monitors in their transaction. Stored duplicates re-apply (a no-op,
        # or the repair of a check-in stored without its monitor before that); repeats do not.
        if entry.duplicate_of is not None and not entry.repeat:
            apply_check_in(caller.project_id, entry.check_in)
    return 202, _accepted(entries, identifier)


def _monitor_writes(
    project_id: str, entries: list[Entry], monitors: dict[str, Monitor | None], now: datetime
) -> list[tuple[list[Entry], MonitorWrite]]:
    """Per monitor the new entries' check-ins update, in line order: those entries and its next state."""
    grouped: dict[str, list[Entry]] = {}
    for entry in entries:
        if entry.check_in is not None:
            grouped.setdefault(monitor_key(entry.check_in.environment, entry.check_in.slug), []).append(entry)
    return [
        (
            group,
            monitor_write(project_id, [entry.check_in for entry in group if entry.check_in], monitors.get(key), now),
        )
        for key, group in grouped.items()
    ]


def _admit_monitors(project_id: str, entries: list[Entry]) -> dict[str, Monitor | None]:
    """The stored state of the monitors the batch's check-ins update, with the new ones registered; entries
    whose monitor the cap refuses get the error."""
    check_ins = [entry for entry in entries if entry.check_in is not None and not entry.repeat]
    current, refused = current_monitors(project_id, [entry.check_in for entry in check_ins])
    for entry in check_ins:
        assert entry.check_in is not None
        if monitor_key(entry.check_in.environment, entry.check_in.slug) in refused:
            entry.errors = [monitor_limit_reached(get_settings().max_monitors_per_project)]
    return current


def _normalized(line: BatchLine, project_id: str, default_environment: str, now: datetime) -> Entry:
    try:
        record = normalize(line.event, project_id=project_id, default_environment=default_environment, now=now)
        is_check_in = isinstance(record, Event) and record.event_type == "check_in"
        # One microsecond per line: check-ins of one second order as the lines do (the later arrival wins).
        arrival = now + timedelta(microseconds=line.index)
        check_in = check_in_of(record, arrival) if isinstance(record, Event) and is_check_in else None
    except Unprocessable as error:
        kind: EntryType = "span" if normalize_top_level(line.event).get("event_type") == "span" else "event"
        return Entry(line=line, kind=kind, errors=list(error.body["errors"]))
    return Entry(line=line, kind="span" if isinstance(record, Span) else "event", record=record, check_in=check_in)


def _find_duplicates(project_id: str, entries: list[Entry]) -> None:
    """Mark entries already stored, or repeating an earlier entry of this batch (by uuid or span identity)."""
    uuids = list(dict.fromkeys(entry.line.uuid for entry in entries))
    span_keys = list(
        dict.fromkeys(
            (entry.record.trace_id, entry.record.span_id) for entry in entries if isinstance(entry.record, Span)
        )
    )
    claims, stored_spans = events_table.existing_records(project_id, uuids, span_keys)
    first_by_uuid: dict[str, Entry] = {}
    first_by_span: dict[tuple[str, str], Entry] = {}
    for entry in entries:
        entry.duplicate_of, entry.repeat = None, False
        uuid = entry.line.uuid
        if uuid in first_by_uuid:
            entry.duplicate_of, entry.repeat = uuid, True  # Logister reports later repeats as duplicates
            continue
        first_by_uuid[uuid] = entry
        if entry.record is None:
            continue
        signal = SPAN_SIGNAL if isinstance(entry.record, Span) else EVENT_SIGNAL
        if uuid in claims:
            if claims[uuid] == signal:
                entry.duplicate_of = uuid
            else:
                entry.errors = [CROSS_SIGNAL]
            continue
        if isinstance(entry.record, Span):
            span_key = (entry.record.trace_id, entry.record.span_id)
            if span_key in stored_spans:
                entry.duplicate_of = stored_spans[span_key]
            elif span_key in first_by_span:
                entry.duplicate_of, entry.repeat = first_by_span[span_key].line.uuid, True
            else:
                first_by_span[span_key] = entry


class _RaceLost(Exception):
    """A conditional write found an item that the duplicate check did not."""


def _write_new(
    project_id: str, entries: list[Entry], monitors: list[tuple[list[Entry], MonitorWrite]], received_at: datetime
) -> None:
    if not entries:
        return  # a replay: every entry is a duplicate
    settings = get_settings()
    expires_at = int(received_at.timestamp()) + settings.event_retention_days * 86_400
    transaction = _transaction(project_id, entries, monitors, received_at, expires_at)
    try:
        failed = events_table.transact(transaction, store="events")
    except ApiError as error:
        if write_failures.not_applied(error.__cause__):
            payload_bucket.discard_payloads(_overflow_keys(transaction))
        raise
    if failed is not None:  # another writer stored one of these entries, or changed one of the monitors
        payload_bucket.discard_payloads(_overflow_keys(transaction))
        raise _RaceLost
    for entry in entries:
        kind = "span" if isinstance(entry.record, Span) else entry.record.event_type  # type: ignore[union-attr]
        count(f"accepted_{kind}")


def _transaction(
    project_id: str,
    entries: list[Entry],
    monitors: list[tuple[list[Entry], MonitorWrite]],
    received_at: datetime,
    expires_at: int,
) -> list[dict[str, Any]]:
    """Every new entry's Put, then as many monitors' next states as DynamoDB's 100 actions leave room
    for; the check-ins of a monitor without room carry themselves for the events stream to apply."""
    written = monitors[: MAX_ACTIONS - len(entries)]
    pending = {id(entry) for group, _ in monitors[len(written) :] for entry in group}
    puts: list[dict[str, Any]] = []
    inline = 0
    for entry in entries:
        record = entry.record
        assert record is not None  # entries with errors never reach the writes
        document = documents.encode(documents.record_document(record))
        if document.compressed is not None and inline + len(document.compressed) > MAX_INLINE_DOCUMENT_BYTES:
            document = documents.EncodedDocument(overflow=document.compressed)  # the batch stays one transaction
        inline += len(document.compressed or b"")
        s3_key = None
        if document.overflow:
            try:
                s3_key = payload_bucket.put_payload(project_id, record.uuid, document.overflow)
            except StoreUnavailable:
                payload_bucket.discard_payloads(_overflow_keys(puts))  # nothing is written yet
                raise
        if isinstance(record, Span):
            put = events_table.span_put(project_id, record, document, s3_key, received_at, expires_at)
        else:
            group = group_key(record) if record.event_type == "error" else None
            carried = entry.check_in if id(entry) in pending else None
            put = events_table.event_put(project_id, record, document, s3_key, received_at, expires_at, group, carried)
        puts.append({"Put": put})
    return puts + [{"Put": write.put} for _, write in written]


def _overflow_keys(transaction: list[dict[str, Any]]) -> list[str]:
    """The S3 objects the transaction's items point at."""
    items = [write["Put"]["Item"] for write in transaction if "Put" in write]
    return [item["doc_s3"]["S"] for item in items if "doc_s3" in item]


def _result(entry: Entry) -> BatchEntryAccepted:
    uuid = entry.duplicate_of or entry.line.uuid
    return {
        "index": entry.line.index,
        "status": "accepted",
        "type": entry.kind,
        "id": uuid,
        "legacy_id": legacy_id(uuid),
        "duplicate": entry.duplicate_of is not None,
    }


def _batch_body(identifier: str | None) -> BatchBody:
    body: BatchBody = {"schema_version": 1}
    if identifier is not None:
        body["batch_id"] = identifier
    return body


def _accepted(entries: list[Entry], identifier: str | None) -> BatchAccepted:
    results = [_result(entry) for entry in entries]
    duplicates = sum(result["duplicate"] for result in results)
    return {
        **_batch_body(identifier),
        "status": "accepted",
        "accepted": len(results),
        "duplicates": duplicates,
        "results": results,
    }


def _rejected(entries: list[Entry], identifier: str | None) -> BatchRejected:
    results: list[BatchEntryFailed | BatchEntryAccepted] = []
    for entry in entries:
        if entry.errors:
            results.append(
                {"index": entry.line.index, "status": "rejected", "type": entry.kind, "errors": entry.errors}
            )
        elif entry.duplicate_of is not None:
            results.append(_result(entry))
        else:
            results.append(
                {"index": entry.line.index, "status": "rolled_back", "type": entry.kind, "errors": [ROLLED_BACK]}
            )
    return {**_batch_body(identifier), "status": "rejected", "results": results}
