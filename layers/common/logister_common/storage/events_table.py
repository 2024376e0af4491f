"""Events, spans and error groups: idempotent writes, one round trip per accepted record.

- An event is keyed by (project, uuid); the put is conditional on the key being new and returns
  the existing item when it is not, so a duplicate answer needs no extra read.
- An error event carries its group's id, title and fingerprint; the events table's stream counts
  it into the group after acceptance (projections/group_counts.py), so a duplicate counts nothing.
- A span claims its uuid in the events table (so a uuid never serves two signals) and is stored
  under (project + trace_id, span_id) in the same transaction.
- Event items and span claims carry a short `title`: the events stream's consumer lists what
  arrived, newest first, for the operator CLI.
"""

from __future__ import annotations

import time
import uuid as uuid_module
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from logister_common.contract.errors import StoreUnavailable
from logister_common.contract.grouping import GroupKey
from logister_common.contract.normalization import Event, Span
from logister_common.contract.times import iso_utc
from logister_common.runtime.settings import get_settings
from logister_common.storage import clients
from logister_common.storage.documents import EncodedDocument
from logister_common.storage.spans_table import trace_key
from logister_common.storage.write_failures import store_failure

EVENT_SIGNAL = "event"
SPAN_SIGNAL = "span"
SHORT_TEXT_MAX = 1_024
GROUP_FINGERPRINT_MAX = 512
TITLE_MAX = 200
_NOT_EXISTS = "attribute_not_exists(pk)"
_CONFLICT_RETRIES = 3
_BATCH_GET_KEYS = 100
_UNPROCESSED_RETRIES = 5


@dataclass(frozen=True, slots=True)
class WriteResult:
    """`uuid` is the stored record's: the original one for a duplicate."""

    created: bool
    uuid: str
    signal: str
    existing: dict[str, Any] | None = None  # the stored item, for a duplicate


def event_key(project_id: str, event_uuid: str) -> dict[str, Any]:
    return {"pk": {"S": f"{project_id}#{event_uuid}"}}


def _listing(title: str) -> dict[str, Any]:
    """A one-line title, which the events stream's consumer lists for the operator CLI."""
    line = " ".join(title.split())[:TITLE_MAX]
    return {"title": {"S": line}} if line else {}


def event_put(
    project_id: str,
    event: Event,
    document: EncodedDocument,
    s3_key: str | None,
    received_at: datetime,
    expires_at: int,
    group: GroupKey | None = None,
) -> dict[str, Any]:
    """The conditional Put of an event item (the item is also the uuid's claim).

    An error event carries its group: the events stream's consumer counts it there.
    """
    item = {
        **event_key(project_id, event.uuid),
        "signal": {"S": EVENT_SIGNAL},
        "project_id": {"S": project_id},
        "uuid": {"S": event.uuid},
        "event_type": {"S": event.event_type},
        "occurred_at": {"S": iso_utc(event.occurred_at)},
        "received_at": {"S": iso_utc(received_at)},
        "expires_at": {"N": str(expires_at)},
        **_listing(event.message),
        **_short_text("level", event.level),
        **_short_text("environment", event.context.get("environment")),
        **_document_attributes(document, s3_key),
    }
    if group is not None:
        item["group_id"] = {"S": group.group_id}
        item["group_title"] = {"S": group.title[:TITLE_MAX]}
        item["group_fingerprint"] = {"S": group.fingerprint[:GROUP_FINGERPRINT_MAX]}
        item["group_severity"] = {"S": group.severity[:TITLE_MAX]}
    return {
        "TableName": get_settings().events_table,
        "Item": item,
        "ConditionExpression": _NOT_EXISTS,
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }


def span_puts(
    project_id: str,
    span: Span,
    document: EncodedDocument,
    s3_key: str | None,
    received_at: datetime,
    expires_at: int,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The conditional Puts of a span's uuid claim and of the span itself."""
    settings = get_settings()
    trace = trace_key(project_id, span.trace_id)
    received = iso_utc(received_at)
    claim = {
        **event_key(project_id, span.uuid),
        "signal": {"S": SPAN_SIGNAL},
        "project_id": {"S": project_id},
        "uuid": {"S": span.uuid},
        "trace_key": {"S": trace},
        "span_id": {"S": span.span_id},
        "occurred_at": {"S": iso_utc(span.started_at)},
        "received_at": {"S": received},
        "expires_at": {"N": str(expires_at)},
        **_listing(span.name),
        **_short_text("environment", span.context.get("environment")),
    }
    item = {
        "trace_key": {"S": trace},
        "span_id": {"S": span.span_id},
        "project_id": {"S": project_id},
        "trace_id": {"S": span.trace_id},
        "uuid": {"S": span.uuid},
        "name": {"S": span.name[:SHORT_TEXT_MAX]},
        "kind": {"S": span.kind},
        "started_at": {"S": iso_utc(span.started_at)},
        "ended_at": {"S": iso_utc(span.ended_at)},
        "duration_ms": {"N": _number(span.duration_ms)},
        "received_at": {"S": received},
        "expires_at": {"N": str(expires_at)},
        **_short_text("parent_span_id", span.parent_span_id),
        **_short_text("status", span.status),
        **_document_attributes(document, s3_key),
    }
    return (
        {
            "TableName": settings.events_table,
            "Item": claim,
            "ConditionExpression": _NOT_EXISTS,
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        },
        {
            "TableName": settings.spans_table,
            "Item": item,
            "ConditionExpression": "attribute_not_exists(span_id)",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        },
    )


def put_event(put: dict[str, Any]) -> WriteResult:
    """Store one event; a duplicate returns the original (from the failed condition, no extra read)."""
    event_uuid = put["Item"]["uuid"]["S"]
    try:
        clients.dynamodb().put_item(**put)
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return _existing(error.response.get("Item"), event_uuid)
        raise store_failure("events", error) from error
    except BotoCoreError as error:
        raise store_failure("events", error) from error
    return WriteResult(created=True, uuid=event_uuid, signal=EVENT_SIGNAL)


def put_check_in(put: dict[str, Any], monitor_update: dict[str, Any]) -> tuple[WriteResult, bool]:
    """Store a check-in event and update its monitor in one transaction; (result, monitor updated).

    A duplicate returns the original and updates nothing. A monitor already holding a newer
    check-in cancels the transaction: the event is then stored alone.
    """
    event_uuid = put["Item"]["uuid"]["S"]
    existing = transact([{"Put": put}, {"Update": monitor_update}], store="events")
    if existing is None:
        return WriteResult(created=True, uuid=event_uuid, signal=EVENT_SIGNAL), True
    stored_event, _newer_monitor = existing
    if stored_event is not None:
        return _existing(stored_event, event_uuid), False
    return put_event(put), False


def put_span(project_id: str, claim: dict[str, Any], span: dict[str, Any]) -> WriteResult:
    """Claim the span's uuid and store the span, atomically.

    A duplicate is either the same uuid (the claim exists) or the same (trace_id, span_id) under
    another uuid (the span exists); both answer with the original span's uuid.
    """
    span_uuid = claim["Item"]["uuid"]["S"]
    existing = transact([{"Put": claim}, {"Put": span}], store="spans")
    if existing is None:
        return WriteResult(created=True, uuid=span_uuid, signal=SPAN_SIGNAL)
    claimed, stored_span = existing
    if claimed is not None:
        return _existing(claimed, span_uuid)
    if stored_span is not None:
        return WriteResult(created=False, uuid=stored_span["uuid"]["S"], signal=SPAN_SIGNAL)
    return WriteResult(created=False, uuid=span_uuid, signal=SPAN_SIGNAL)


def _document_attributes(document: EncodedDocument, s3_key: str | None) -> dict[str, Any]:
    if document.text is not None:
        return {"doc": {"S": document.text}}
    if document.compressed is not None:
        return {"doc_z": {"B": document.compressed}}
    return {"doc_s3": {"S": s3_key}}


def _short_text(name: str, value: Any) -> dict[str, Any]:
    """An indexed copy of a short string field; the document always holds the full value."""
    if isinstance(value, str) and value and len(value) <= SHORT_TEXT_MAX:
        return {name: {"S": value}}
    return {}


def _number(value: float) -> str:
    """DynamoDB numbers stop near 1e125: absurd durations are clamped in this indexed copy only."""
    return repr(min(value, 1e120))


def _existing(item: dict[str, Any] | None, requested_uuid: str) -> WriteResult:
    if item is None:  # cannot happen with ALL_OLD, but a missing item must not become a 500
        return WriteResult(created=False, uuid=requested_uuid, signal=EVENT_SIGNAL)
    return WriteResult(created=False, uuid=item["uuid"]["S"], signal=item["signal"]["S"], existing=item)


def transact(actions: list[dict[str, Any]], *, store: str) -> list[dict[str, Any] | None] | None:
    """Run the transaction: None when it committed, else per action the existing item where that
    action's condition failed (None elsewhere).

    A conflict with a concurrent transaction on the same item is retried: the retry then sees the
    winner's item and answers duplicate.
    """
    for attempt in range(_CONFLICT_RETRIES):
        try:
            clients.dynamodb().transact_write_items(TransactItems=actions, ClientRequestToken=str(uuid_module.uuid4()))
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise store_failure(store, error) from error
            reasons = error.response.get("CancellationReasons") or []
            codes = {reason.get("Code") for reason in reasons}
            if "ConditionalCheckFailed" in codes:
                return [
                    reason.get("Item") if reason.get("Code") == "ConditionalCheckFailed" else None for reason in reasons
                ]
            if "TransactionConflict" in codes and attempt + 1 < _CONFLICT_RETRIES:
                time.sleep(0.02 * (attempt + 1))
                continue
            raise store_failure(store, error) from error
        except BotoCoreError as error:
            raise store_failure(store, error) from error
        return None
    raise StoreUnavailable(store)


def existing_records(
    project_id: str, uuids: list[str], spans: list[tuple[str, str]]
) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    """Which uuids are claimed already (uuid -> signal) and which (trace_id, span_id) exist (-> uuid).

    BatchGetItem, 100 keys a call; strongly consistent so a just-committed batch is seen.
    """
    settings = get_settings()
    wanted = [(settings.events_table, event_key(project_id, uuid)) for uuid in uuids] + [
        (settings.spans_table, {"trace_key": {"S": trace_key(project_id, trace)}, "span_id": {"S": span}})
        for trace, span in spans
    ]
    claims: dict[str, str] = {}
    stored_spans: dict[tuple[str, str], str] = {}
    for start in range(0, len(wanted), _BATCH_GET_KEYS):
        request: dict[str, Any] = {}
        for table, key in wanted[start : start + _BATCH_GET_KEYS]:
            projection = _EVENT_PROJECTION if table == settings.events_table else _SPAN_PROJECTION
            request.setdefault(table, {"Keys": [], "ConsistentRead": True, **projection})["Keys"].append(key)
        for table, items in _batch_get(request).items():
            for item in items:
                if table == settings.events_table:
                    claims[item["uuid"]["S"]] = item["signal"]["S"]
                else:
                    trace = item["trace_key"]["S"].removeprefix(f"{project_id}#")
                    stored_spans[(trace, item["span_id"]["S"])] = item["uuid"]["S"]
    return claims, stored_spans


# Read only what duplicate detection needs.
_EVENT_PROJECTION = {"ProjectionExpression": "#u, #s", "ExpressionAttributeNames": {"#u": "uuid", "#s": "signal"}}
_SPAN_PROJECTION = {
    "ProjectionExpression": "#u, #t, #i",
    "ExpressionAttributeNames": {"#u": "uuid", "#t": "trace_key", "#i": "span_id"},
}


def _batch_get(request: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for attempt in range(_UNPROCESSED_RETRIES):
        try:
            response = clients.dynamodb().batch_get_item(RequestItems=request)
        except (ClientError, BotoCoreError) as error:
            raise StoreUnavailable("events") from error
        for table, items in response.get("Responses", {}).items():
            found.setdefault(table, []).extend(items)
        request = response.get("UnprocessedKeys") or {}
        if not request:
            return found
        time.sleep(0.05 * 2**attempt)
    raise StoreUnavailable("events")
